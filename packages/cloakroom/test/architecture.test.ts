// The import boundaries of the two packages, checked on every import of every `.ts` file under
// packages/cloakroom/src, packages/app/src and packages/app/bench (type-only and dynamic imports included):
//
// (a) the library imports only its own files, Node's built-ins and the packages it declares (dependencies
//     and peer dependencies): never the app, and never itself by package name;
// (b) the app's source reaches the library only through its public entries (`cloakroom/...`), never by a
//     relative path;
// (c) a library feature folder (session, stores, accounts, ...) imports another feature only through that
//     feature's public entry (its `index.ts`, or a file an `exports` subpath points at); `lib/` and the
//     root shared files (`errors.ts`, `clock.ts`, `index.ts`) are open to every feature; the root entry may
//     also re-export a feature's own `errors.ts` (error classes that import the base alone, so exporting every
//     error from `cloakroom` loads no feature), and such an `errors.ts` imports only the base, lib/ or its
//     own feature's errors;
// (d) `lib/` (and `errors.ts`, `clock.ts`) import no feature at all.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const LIBRARY = join(REPO, 'packages/cloakroom');
const LIBRARY_SRC = join(LIBRARY, 'src');
const APP_SRC = join(REPO, 'packages/app/src');
// Checkout-only measurements (never published, never run by users) that time the library's internals, such
// as the SQLite statements or the Redis key layout, so they may import library files by relative path.
const APP_BENCH = join(REPO, 'packages/app/bench');

/** Library files that every feature may import, and that themselves import no feature. */
const SHARED_ROOT_FILES = new Set(['errors.ts', 'clock.ts']);
/** The root entry (`cloakroom`): shared with the features, but it imports them (by their public entries). */
const ROOT_ENTRY = 'index.ts';

interface LibraryManifest {
  exports: Record<string, string | { types?: string; default?: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const manifest = JSON.parse(readFileSync(join(LIBRARY, 'package.json'), 'utf8')) as LibraryManifest;

/** The source files the `exports` subpaths point at (`./dist/x/index.js` is `src/x/index.ts`). */
function exportedSourceFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    const dist = typeof target === 'string' ? target : target.default;
    if (dist === undefined || !dist.startsWith('./dist/') || !dist.endsWith('.js')) continue;
    const name = subpath === '.' ? 'cloakroom' : `cloakroom${subpath.slice(1)}`;
    files.set(join(LIBRARY_SRC, dist.slice('./dist/'.length, -'.js'.length) + '.ts'), name);
  }
  return files;
}

const EXPORTED = exportedSourceFiles();
const PUBLIC_SUBPATHS = new Set(EXPORTED.values());
const DECLARED_PACKAGES = new Set([
  ...Object.keys(manifest.dependencies ?? {}),
  ...Object.keys(manifest.peerDependencies ?? {}),
]);
const BUILTINS = new Set(builtinModules);

/** Where a library file sits: `lib`, `shared` (errors.ts, clock.ts), `root` (index.ts) or its feature's name. */
function zoneOf(file: string): string {
  const path = relative(LIBRARY_SRC, file).split(sep);
  const [first] = path;
  if (path.length === 1) {
    if (first !== undefined && SHARED_ROOT_FILES.has(first)) return 'shared';
    return first === ROOT_ENTRY ? 'root' : `unknown root file ${first}`;
  }
  return first ?? '';
}

/** A feature's own error classes (`csrf/errors.ts`, `stores/cached/errors.ts`, ...). */
function isFeatureErrors(file: string): boolean {
  return file.endsWith(`${sep}errors.ts`) && dirname(file) !== LIBRARY_SRC && zoneOf(file) !== 'lib';
}

function isPublicEntry(file: string): boolean {
  if (EXPORTED.has(file)) return true;
  // A feature folder's own index.ts (session/index.ts, stores/index.ts, ...).
  const path = relative(LIBRARY_SRC, file).split(sep);
  return path.length === 2 && path[1] === 'index.ts';
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function isInside(file: string, folder: string): boolean {
  const path = relative(folder, file);
  return path !== '' && !path.startsWith('..') && !path.startsWith(sep);
}

/** The file a relative specifier names: `./x.js` is the TypeScript source `./x.ts`. */
function resolveRelative(from: string, specifier: string): string {
  const target = resolve(dirname(from), specifier);
  if (target.endsWith('.js')) return target.slice(0, -'.js'.length) + '.ts';
  if (existsSync(target) && statSync(target).isDirectory()) return join(target, 'index.ts');
  return target;
}

/** Why the import of `specifier` from `file` breaks a boundary, or `null` when it is allowed. */
export function boundaryViolation(file: string, specifier: string): string | null {
  const relativeSpecifier = specifier.startsWith('./') || specifier.startsWith('../');
  if (isInside(file, LIBRARY_SRC)) {
    if (!relativeSpecifier) {
      if (specifier.startsWith('node:') || BUILTINS.has(specifier)) return null;
      const name = packageName(specifier);
      if (name === 'cloakroom')
        return 'the library imports its own files by relative path, not by package name';
      if (name === '@cloakroom/app') return 'the library never imports the app';
      return DECLARED_PACKAGES.has(name)
        ? null
        : `the library imports ${name}, which is neither a dependency nor a peer dependency of cloakroom`;
    }
    const target = resolveRelative(file, specifier);
    if (!isInside(target, LIBRARY_SRC)) return 'the library imports a file outside packages/cloakroom/src';
    const from = zoneOf(file);
    const to = zoneOf(target);
    if (to === 'lib' || to === 'shared') return null;
    if (from === 'lib' || from === 'shared') {
      return `${from === 'lib' ? 'lib/' : 'a shared root file'} imports a feature (${to}); it may import only lib/, errors.ts and clock.ts`;
    }
    if (to === 'root' || to === from) return null;
    if (from === 'root' && isFeatureErrors(target)) return null;
    return isPublicEntry(target)
      ? null
      : `${from === 'root' ? 'index.ts' : `feature ${from}`} imports internals of ${to}; use lib/ or ${to}'s public entry`;
  }
  const inBench = isInside(file, APP_BENCH);
  if (!isInside(file, APP_SRC) && !inBench) return null;
  if (!relativeSpecifier) {
    const name = packageName(specifier);
    if (name === 'cloakroom' && !PUBLIC_SUBPATHS.has(specifier)) {
      return `${specifier} is not a public subpath of cloakroom (see its package.json exports)`;
    }
    return null;
  }
  const target = resolveRelative(file, specifier);
  if (isInside(target, APP_SRC)) return null;
  if (inBench && (isInside(target, APP_BENCH) || isInside(target, LIBRARY_SRC))) return null;
  if (isInside(target, LIBRARY)) return "the app imports the library by relative path; use 'cloakroom/...'";
  return 'the app source imports a file outside packages/app/src';
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) return sourceFiles(path);
      return entry.name.endsWith('.ts') ? [path] : [];
    });
}

/**
 * Every module a file names: import and export-from declarations (type-only ones too), `import x =
 * require()`, dynamic `import()` and `require()` calls, and `import('...')` types. Not `declare module`
 * blocks: augmenting a package's types (express's Request) imports nothing.
 */
function importsOf(file: string): { specifier: string; line: number }[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const found: { specifier: string; line: number }[] = [];
  const add = (node: ts.Node | undefined) => {
    if (node === undefined || !ts.isStringLiteralLike(node)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    found.push({ specifier: node.text, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isExternalModuleReference(node)) add(node.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isImport = callee.kind === ts.SyntaxKind.ImportKeyword;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      if (isImport || isRequire) add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('import boundaries', () => {
  it('every import of the library, the app and the bench scripts keeps to the boundaries', () => {
    const files = [LIBRARY_SRC, APP_SRC, APP_BENCH].flatMap(sourceFiles);
    assert.ok(files.length > 100, `expected the source files, found ${files.length}`);
    const offences: string[] = [];
    for (const file of files) {
      for (const { specifier, line } of importsOf(file)) {
        const why = boundaryViolation(file, specifier);
        if (why !== null) offences.push(`${relative(REPO, file)}:${line} imports '${specifier}': ${why}`);
      }
    }
    assert.deepEqual(offences, [], `imports across a boundary:\n${offences.join('\n')}`);
  });

  it('names each kind of crossing', () => {
    const library = (path: string) => join(LIBRARY_SRC, path);
    const cases: [file: string, specifier: string, expected: RegExp][] = [
      [library('stores/memory.ts'), '../../../app/src/app/notes.js', /outside packages\/cloakroom\/src/],
      [library('stores/memory.ts'), '@cloakroom/app', /never imports the app/],
      [library('stores/memory.ts'), 'cloakroom/session', /by relative path, not by package name/],
      [library('stores/memory.ts'), 'autocannon', /neither a dependency nor a peer dependency/],
      [join(APP_SRC, 'app/notes.ts'), '../../../cloakroom/src/stores/memory.js', /by relative path/],
      [join(APP_SRC, 'app/notes.ts'), 'cloakroom/stores/types', /not a public subpath/],
      [
        library('accounts/accounts.ts'),
        '../session/manager.js',
        /feature accounts imports internals of session/,
      ],
      [library('inspect/size.ts'), '../stores/types.js', /feature inspect imports internals of stores/],
      [library('index.ts'), './session/token.js', /index.ts imports internals of session/],
      [
        library('accounts/accounts.ts'),
        '../session/errors.js',
        /feature accounts imports internals of session/,
      ],
      [library('lib/store-call.ts'), '../session/index.js', /lib\/ imports a feature \(session\)/],
      [library('errors.ts'), './stores/index.js', /a shared root file imports a feature/],
    ];
    for (const [file, specifier, expected] of cases) {
      assert.match(boundaryViolation(file, specifier) ?? 'allowed', expected, `${file} -> ${specifier}`);
    }
    const allowed: [string, string][] = [
      [library('accounts/accounts.ts'), '../session/index.js'],
      [library('accounts/accounts.ts'), '../lib/store-call.js'],
      [library('accounts/accounts.ts'), '../errors.js'],
      [library('index.ts'), './stores/cached/errors.js'], // the root entry re-exports every feature's errors
      [library('inspect/size.ts'), '../stores/memory.js'], // the file `cloakroom/stores/memory` points at
      [library('stores/cached/postgres.ts'), '../postgres/index.js'], // inside its own feature
      [library('lib/postgres/migrate.ts'), '../../clock.js'],
      [join(APP_SRC, 'app/notes.ts'), 'cloakroom/stores'],
      [join(APP_BENCH, 'core.ts'), '../../cloakroom/src/stores/sqlite/sql.js'],
    ];
    for (const [file, specifier] of allowed) {
      assert.equal(boundaryViolation(file, specifier), null, `${file} -> ${specifier}`);
    }
  });

  it("a feature's errors.ts imports only the base errors.ts, lib/ or its own feature's errors", () => {
    const offences: string[] = [];
    for (const file of sourceFiles(LIBRARY_SRC).filter(isFeatureErrors)) {
      for (const { specifier, line } of importsOf(file)) {
        const target = specifier.startsWith('.') ? resolveRelative(file, specifier) : specifier;
        const allowed =
          target === join(LIBRARY_SRC, 'errors.ts') ||
          zoneOf(target) === 'lib' ||
          (isFeatureErrors(target) && zoneOf(target) === zoneOf(file));
        if (!allowed) offences.push(`${relative(REPO, file)}:${line} imports '${specifier}'`);
      }
    }
    assert.deepEqual(offences, []);
  });

  it("the root tsconfig's paths (how a checkout resolves cloakroom/...) match the library's exports", () => {
    const tsconfig = JSON.parse(readFileSync(join(REPO, 'tsconfig.json'), 'utf8')) as {
      compilerOptions: { paths: Record<string, string[]> };
    };
    const fromPaths = new Map(
      Object.entries(tsconfig.compilerOptions.paths)
        .filter(([name]) => name === 'cloakroom' || name.startsWith('cloakroom/'))
        .map(([name, [target]]) => [name, join(REPO, target ?? '')]),
    );
    const fromExports = new Map([...EXPORTED].map(([file, name]) => [name, file]));
    assert.deepEqual(fromPaths, fromExports);
  });
});
