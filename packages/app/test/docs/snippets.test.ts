// Every TypeScript snippet of the README and docs/*.md type-checks against the library, with the repository's
// compiler options (strict) and its `paths` (the `cloakroom/*` entries a user imports). A snippet that uses
// names it does not define (the reader's `db`, `app`, `req`) gets them from a hidden comment right before its
// block, `<!-- snippet-context: declare const db: Database; -->`, which the rendered page does not show.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import ts from 'typescript';
import { codeBlocks, docs, ROOT, type CodeBlock } from './markdown.js';

const TS_LANGS = new Set(['ts', 'typescript']);

test('every TypeScript snippet in the README and docs type-checks', () => {
  const blocks: CodeBlock[] = docs().flatMap((doc) =>
    codeBlocks(doc).filter((block) => TS_LANGS.has(block.lang)),
  );
  assert.ok(blocks.length >= 20, `only ${String(blocks.length)} snippets found`);

  const dir = join(ROOT, '.tmp', `snippets-${String(process.pid)}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files = new Map<string, CodeBlock>();
  for (const block of blocks) {
    const file = join(dir, `${block.doc.replace(/[/.]/g, '_')}_${String(block.line)}.ts`);
    // Line 1 is the context, so a diagnostic's line maps back to the doc by a fixed offset.
    writeFileSync(file, `export {}; ${block.context.replace(/\n/g, ' ')}\n${block.text}`);
    files.set(file, block);
  }

  try {
    const config = ts.getParsedCommandLineOfConfigFile(
      join(ROOT, 'tsconfig.json'),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
          throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
        },
      },
    );
    assert.ok(config !== undefined);
    // A snippet shows one step, so its unused imports and locals are fine; everything else stays strict.
    const options = { ...config.options, noUnusedLocals: false, noUnusedParameters: false, noEmit: true };
    const program = ts.createProgram([...files.keys()], options);
    const errors: string[] = [];
    for (const [file, block] of files) {
      const source = program.getSourceFile(file);
      assert.ok(source !== undefined);
      const diagnostics = [
        ...program.getSyntacticDiagnostics(source),
        ...program.getSemanticDiagnostics(source),
      ];
      for (const diagnostic of diagnostics) {
        const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
        const where =
          line === 0
            ? `${block.doc}:${String(block.line - 1)} (snippet-context)`
            : `${block.doc}:${String(block.line + line)}`;
        errors.push(
          `${where}: TS${String(diagnostic.code)} ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`,
        );
      }
    }
    assert.deepEqual(errors, [], `snippets that do not type-check:\n${errors.join('\n')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
