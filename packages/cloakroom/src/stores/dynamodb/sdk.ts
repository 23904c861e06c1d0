/**
 * `@aws-sdk/client-dynamodb` is an optional peer dependency: `cloakroom/stores/dynamodb` must import without
 * it (every subpath does), so its command classes are loaded on the first call, once, not at import time.
 */
export type DynamoDBModule = typeof import('@aws-sdk/client-dynamodb');

let loading: Promise<DynamoDBModule> | undefined;
let loaded: DynamoDBModule | undefined;

/** The SDK module; after the first call it is a plain value (`loadedSdk`), so hot paths need no await. */
export async function loadSdk(): Promise<DynamoDBModule> {
  loading ??= import('@aws-sdk/client-dynamodb').then((module) => {
    loaded = module;
    return module;
  });
  return loading;
}

/** The SDK module if `loadSdk` has resolved, else `undefined`. */
export function loadedSdk(): DynamoDBModule | undefined {
  return loaded;
}
