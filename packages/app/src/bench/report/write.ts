/** Writes a run's folder: results.json, results.schema.json, report.md and report.html. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { resultsJsonSchema, type BenchResults } from '../results.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

export interface WrittenReport {
  dir: string;
  files: string[];
}

export function writeReport(results: BenchResults, dir: string): WrittenReport {
  mkdirSync(dir, { recursive: true });
  const files: [string, string][] = [
    ['results.json', `${JSON.stringify(results, null, 2)}\n`],
    ['results.schema.json', `${JSON.stringify(resultsJsonSchema(), null, 2)}\n`],
    ['report.md', renderMarkdown(results)],
    ['report.html', renderHtml(results)],
  ];
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  return { dir, files: files.map(([name]) => join(dir, name)) };
}
