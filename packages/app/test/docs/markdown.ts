// Reads the code blocks of the README and docs/*.md, for the tests that keep the docs working as printed.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** A fenced code block of a doc. */
export interface CodeBlock {
  /** The doc, relative to the root (`docs/app.md`). */
  doc: string;
  /** The 1-based line of the opening fence. */
  line: number;
  lang: string;
  text: string;
  /** The hidden `<!-- snippet-context: … -->` comment right before the block, if any (declarations for tsc). */
  context: string;
}

/** The user-facing docs: README.md and docs/*.md. */
export function docs(): string[] {
  const guides = readdirSync(new URL('docs/', `file://${ROOT}`))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/${name}`);
  return ['README.md', ...guides];
}

/** Every fenced block of `doc`. */
export function codeBlocks(doc: string, markdown = readFileSync(ROOT + doc, 'utf8')): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const fence = /(?:<!-- snippet-context:([\s\S]*?)-->\s*\n)?^```(\w*)[^\n]*\n([\s\S]*?)^```\s*$/gm;
  for (const match of markdown.matchAll(fence)) {
    blocks.push({
      doc,
      line: markdown.slice(0, match.index + match[0].indexOf('```')).split('\n').length,
      lang: match[2] ?? '',
      text: match[3] ?? '',
      context: (match[1] ?? '').trim(),
    });
  }
  return blocks;
}

/** A shell command line of a doc: continuation lines joined, the trailing comment removed. */
export interface ShellCommand {
  doc: string;
  line: number;
  /** The line as printed (joined). */
  source: string;
  /** Its simple commands (split on `&&`, `||`, `;` and `|`), each as words, redirections removed. */
  commands: string[][];
}

const SHELL_LANGS = new Set(['sh', 'bash', 'shell', 'console']);

/**
 * The commands of the shell blocks (```sh, ```bash, ```shell, ```console) and the `$ ` lines of transcripts
 * (```text, ```console): what a reader would type.
 */
export function shellCommands(blocks: CodeBlock[]): ShellCommand[] {
  const commands: ShellCommand[] = [];
  for (const block of blocks) {
    const transcript = !SHELL_LANGS.has(block.lang) || block.lang === 'console';
    if (!SHELL_LANGS.has(block.lang) && block.lang !== 'text') continue;
    const lines = block.text.split('\n');
    for (let index = 0; index < lines.length; index += 1) {
      let line = lines[index] ?? '';
      const start = index;
      if (transcript) {
        if (!line.startsWith('$ ')) continue;
        line = line.slice(2);
      }
      while (line.endsWith('\\') && index + 1 < lines.length) {
        index += 1;
        line = `${line.slice(0, -1)} ${(lines[index] ?? '').trim()}`;
      }
      const words = splitWords(line);
      if (words.length === 0) continue;
      commands.push({ doc: block.doc, line: block.line + 1 + start, source: line.trim(), commands: words });
    }
  }
  return commands;
}

/**
 * Splits a command line into simple commands of words, the way a POSIX shell would for these docs: quotes
 * group, `#` after a blank starts a comment, `&&`, `||`, `;` and `|` separate commands, `< file` and `> file`
 * are dropped. Substitutions (`$(…)`) are kept as one word.
 */
export function splitWords(line: string): string[][] {
  const commands: string[][] = [[]];
  let word: string | null = null;
  let quote: string | null = null;
  let depth = 0;
  const push = () => {
    if (word !== null) commands[commands.length - 1]?.push(word);
    word = null;
  };
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index] ?? '';
    if (quote !== null) {
      if (char === quote) quote = null;
      else word = (word ?? '') + char;
      continue;
    }
    if (depth > 0) {
      if (char === '(') depth += 1;
      if (char === ')') depth -= 1;
      word = (word ?? '') + char;
      continue;
    }
    if (char === '$' && line[index + 1] === '(') {
      depth = 1;
      word = `${word ?? ''}$(`;
      index += 1;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      word ??= '';
      continue;
    }
    if (char === '#' && word === null) break;
    if (char === ' ' || char === '\t') {
      push();
      continue;
    }
    if (char === '&' || char === '|' || char === ';') {
      push();
      if (line[index + 1] === char) index += 1;
      commands.push([]);
      continue;
    }
    word = (word ?? '') + char;
  }
  push();
  return commands
    .map((words) => {
      const kept: string[] = [];
      for (let index = 0; index < words.length; index += 1) {
        const current = words[index] ?? '';
        if (current === '<' || current === '>') index += 1;
        else kept.push(current);
      }
      return kept;
    })
    .filter((words) => words.length > 0);
}
