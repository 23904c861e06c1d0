import type { ServerResponse } from 'node:http';

/** An error answer as the framework-free helpers build it: status, extra headers and a JSON body. */
export interface JsonAnswer {
  status: number;
  headers: Readonly<Record<string, string>>;
  body: unknown;
}

/**
 * Writes `answer` on a `node:http` response in one `writeHead`, never cacheable: the one place the node
 * adapters (sessions and bearer tokens) turn an error answer into bytes.
 */
export function sendJsonAnswer(res: ServerResponse, answer: JsonAnswer): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, {
    ...answer.headers,
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}
