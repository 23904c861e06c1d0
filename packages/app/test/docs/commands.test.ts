// Every command in the README and docs/*.md works as printed in a checkout after `npm ci`: each `cloakroom …`
// is parsed by the real command line without running it (a dry run: an unknown command, option or bad value
// fails here), each `npm run …` names a script that exists, each file run with tsx exists, each bench script
// answers `--help`, and `npx cloakroom --help` / `npx cloakroom bench --help` run for real through the bin.
// docs/getting-started.md runs in a user's project, not in the checkout: scripts/consumer-test.mjs runs it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Command, CommanderError } from 'commander';
import { program } from '../../src/cli/main.js';
import { codeBlocks, docs, ROOT, shellCommands, splitWords, type ShellCommand } from './markdown.js';

const run = promisify(execFile);

/** Commands the docs use that are not ours: the docs test leaves them to their authors. */
const FOREIGN = new Set(['curl', 'pbpaste', 'echo', 'export', 'cat', 'node']);
/** Run in a user's project (the consumer test runs them), not in the checkout. */
const USER_PROJECT_DOCS = new Set(['docs/getting-started.md']);

const scripts = (
  JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: Record<string, string> }
).scripts;
const CLI_SOURCE = 'packages/app/src/cli/main.ts';

/** What checking one documented command needs: a dry run of the CLI, or a script file answering --help. */
type Check = { kind: 'cli'; args: string[] } | { kind: 'help'; file: string } | { kind: 'ok' };

function silence(command: Command): Command {
  command.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {} });
  for (const sub of command.commands) silence(sub);
  return command;
}

/**
 * Parses `args` with the real `cloakroom` program without running an action: walks the subcommands, then
 * lets commander parse the options (unknown options, missing or invalid values throw) and counts operands.
 */
export function dryRun(args: string[]): void {
  let command = silence(program());
  let rest = args.filter((arg) => arg !== '--help' && arg !== '-h');
  for (;;) {
    const name = rest[0];
    const sub = command.commands.find((candidate) => candidate.name() === name);
    if (sub === undefined) break;
    command = sub;
    rest = rest.slice(1);
  }
  const { operands, unknown } = command.parseOptions(rest);
  const path = `cloakroom ${args.join(' ')}`;
  assert.deepEqual(unknown, [], `${path}: unknown option or command ${unknown.join(' ')}`);
  if (command.commands.length > 0 && args.includes('--help')) return;
  const subcommands = command.commands.map((sub) => sub.name()).join(', ');
  assert.ok(
    command.commands.length === 0,
    operands.length > 0
      ? `${path}: unknown command "${operands[0] ?? ''}" (${command.name()} has: ${subcommands})`
      : `${path}: "${command.name()}" needs one of its subcommands (${subcommands})`,
  );
  const declared = command.registeredArguments;
  const variadic = declared.at(-1)?.variadic ?? false;
  assert.ok(
    variadic || operands.length <= declared.length,
    `${path}: too many arguments (${operands.join(' ')})`,
  );
  const required = declared.filter((argument) => argument.required).length;
  assert.ok(
    operands.length >= required,
    `${path}: missing argument(s) ${declared.map((a) => a.name()).join(', ')}`,
  );
}

/** Docs write an optional flag as `[--json]`: check it as the flag. */
function unbracket(words: string[]): string[] {
  return words.map((word) => (/^\[-[^\]]+\]$/.test(word) ? word.slice(1, -1) : word));
}

function checkOf(words: string[], where: string): Check {
  let rest = words;
  while (rest.length > 0 && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0] ?? '')) rest = rest.slice(1);
  rest = unbracket(rest);
  const [head, ...args] = rest;
  if (head === undefined || FOREIGN.has(head)) return { kind: 'ok' };
  if (head === 'cloakroom') return { kind: 'cli', args };
  if (head === 'npx' && args[0] === 'cloakroom') return { kind: 'cli', args: args.slice(1) };
  if (head === 'npx' && args[0] === 'tsx') return fileCheck(args[1] ?? '', args.slice(2), where);
  if (head === 'npm') {
    const [verb, ...more] = args;
    if (verb === 'ci' || verb === 'install') return { kind: 'ok' };
    const name = verb === 'run' ? more[0] : verb;
    const extra = verb === 'run' ? more.slice(1) : more;
    assert.ok(
      name !== undefined && name in scripts,
      `${where}: npm ${args.join(' ')}: no script "${String(name)}"`,
    );
    const script = scripts[name] ?? '';
    const passed = extra[0] === '--' ? extra.slice(1) : extra;
    const [runner, file, ...fixed] = splitWords(script)[0] ?? [];
    if (runner === 'tsx' && file !== undefined) return fileCheck(file, [...fixed, ...passed], where);
    if (runner === 'node' && file !== undefined) {
      assert.ok(existsSync(ROOT + file), `${where}: the script "${name}" runs ${file}, which does not exist`);
      return { kind: 'ok' };
    }
    assert.fail(`${where}: the docs test does not know how to check the script "${name}" (${script})`);
  }
  assert.fail(`${where}: the docs test does not know how to check "${head}": teach it (commands.test.ts)`);
}

function fileCheck(file: string, args: string[], where: string): Check {
  assert.ok(existsSync(ROOT + file), `${where}: ${file} does not exist`);
  if (file === CLI_SOURCE) return { kind: 'cli', args };
  // Bench scripts answer --help; examples are plain programs (type-checked with the rest by tsc).
  return file.startsWith('packages/app/bench/') ? { kind: 'help', file } : { kind: 'ok' };
}

const documented: ShellCommand[] = docs()
  .filter((doc) => !USER_PROJECT_DOCS.has(doc))
  .flatMap((doc) => shellCommands(codeBlocks(doc)));

describe('every documented command works as printed', () => {
  test('the docs have commands to check', () => {
    assert.ok(documented.length >= 30, `only ${String(documented.length)} commands found`);
  });

  const helpFiles = new Set<string>();
  for (const command of documented) {
    const where = `${command.doc}:${String(command.line)}`;
    test(`${where}: ${command.source}`, () => {
      for (const words of command.commands) {
        const check = checkOf(words, where);
        if (check.kind === 'cli') dryRun(check.args);
        if (check.kind === 'help') helpFiles.add(check.file);
      }
    });
  }

  test('each bench script the docs run answers --help', async () => {
    assert.ok(helpFiles.size > 0);
    for (const file of [...helpFiles].sort()) {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', file, '--help'], { cwd: ROOT });
      assert.match(stdout, /npm run bench:/, `${file} --help`);
    }
  });

  test('npx cloakroom --help and npx cloakroom bench --help run through the bin, without a build', async () => {
    for (const args of [['--help'], ['bench', '--help']]) {
      const { stdout } = await run('npx', ['--no-install', 'cloakroom', ...args], { cwd: ROOT });
      assert.match(stdout, new RegExp(`^Usage: cloakroom${args[0] === 'bench' ? ' bench' : ''} `));
    }
  });
});

test('every repository path the docs name in backticks exists', () => {
  const missing: string[] = [];
  for (const doc of docs()) {
    const text = readFileSync(ROOT + doc, 'utf8');
    for (const match of text.matchAll(/`((?:packages|examples|scripts|docs)\/[^`\s:]+)/g)) {
      const path = match[1] ?? '';
      // A pattern (`docs/*.md`) or a placeholder (`packages/app/test/<area>/…`) names no one file.
      if (/[*<>…{}]/.test(path)) continue;
      if (!existsSync(ROOT + path)) missing.push(`${doc}: ${path}`);
    }
  }
  assert.deepEqual(missing, []);
});

describe('the dry run refuses what the command line refuses', () => {
  const refused = [
    ['nosuch'],
    ['keys', 'rotat'],
    ['inspect', '--nosuch'],
    ['serve', '--port', 'eighty'],
    ['clients', 'add'],
    ['inspect', 'a', 'b'],
  ];
  for (const args of refused) {
    test(`cloakroom ${args.join(' ')}`, () => {
      assert.throws(
        () => {
          dryRun(args);
        },
        (error: unknown) => error instanceof CommanderError || error instanceof assert.AssertionError,
      );
    });
  }
  test('and accepts what it accepts', () => {
    dryRun(['serve', '--port', '8080']);
    dryRun(['inspect', '--fail-on', 'high', '--json']);
    dryRun(['keys', 'list', '--json']);
  });
});
