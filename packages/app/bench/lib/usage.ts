import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * `--help` for a bench script: prints the script's leading doc comment (which already documents what it
 * measures and its options, so the help cannot drift from it) and exits 0. Called before `parseArgs`, which
 * would otherwise refuse `--help` as an unknown option with a stack trace.
 */
export function helpFromHeader(scriptUrl: string, argv: readonly string[] = process.argv.slice(2)): void {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  const text = readFileSync(fileURLToPath(scriptUrl), 'utf8');
  const header = /\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? '';
  const lines = header.split('\n').map((line) => line.replace(/^\s*\* ?/, ''));
  console.log(lines.join('\n').trim());
  process.exit(0);
}
