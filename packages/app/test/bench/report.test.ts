// The report writer on fixed results (test/bench/fixtures/results.json, from a real --quick run, with a
// skipped scenario added here): the files it writes, what each format shows, and report.html opened in
// headless Chromium (Debian's, driven by playwright-core), with a screenshot in test-results/bench-report/.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { COMPARISONS } from '../../src/bench/report/comparisons.js';
import { renderHtml } from '../../src/bench/report/html.js';
import { renderMarkdown } from '../../src/bench/report/markdown.js';
import { renderTerminal } from '../../src/bench/report/terminal.js';
import { formatRatio } from '../../src/bench/report/tables.js';
import { writeReport } from '../../src/bench/report/write.js';
import { resultsJsonSchema, resultsSchema, type BenchResults } from '../../src/bench/results.js';
import { jsonSchemaValidator, readJson } from './schema.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/results.json', import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL('../../test-results/bench-report/', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';

/** The fixture, with better-auth's Redis scenario marked as skipped (as when Redis is down). */
function fixture(): BenchResults {
  const results = resultsSchema.parse(readJson(FIXTURE));
  const scenario = results.http.scenarios.find((candidate) => candidate.id === 'better-auth-redis');
  assert.ok(scenario, 'the fixture has the better-auth Redis scenario');
  scenario.status = 'skipped';
  scenario.reason = 'Redis at redis://127.0.0.1:6379 is not reachable (connect ECONNREFUSED)';
  scenario.runs = [];
  delete scenario.ratio;
  delete scenario.medianRequestsPerSecond;
  const target = results.targets.find((candidate) => candidate.id === 'best-vs-better-auth');
  assert.ok(target);
  target.verdict = 'NOT RUN';
  target.measured = null;
  target.detail = `better-auth, Redis secondary storage: skipped (${scenario.reason})`;
  return results;
}

/** Where the first mention of targets is, and where the comparison table's heading is. */
function positions(text: string, heading: string): { comparisons: number; targets: number } {
  return { comparisons: text.indexOf(heading), targets: text.search(/target/i) };
}

describe('bench report writer', () => {
  test('the fixture and the schema agree (zod and the exported JSON Schema)', () => {
    const results = fixture();
    assert.equal(jsonSchemaValidator(resultsJsonSchema())(results), null);
    // The JSON Schema rejects what it must: a missing field, a wrong verdict.
    const broken = structuredClone(results) as unknown as Record<string, unknown>;
    delete broken.targets;
    assert.match(jsonSchemaValidator(resultsJsonSchema())(broken) ?? '', /targets/);
    const wrongVerdict = structuredClone(results);
    (wrongVerdict.targets[0] as { verdict: string }).verdict = 'OK';
    assert.match(jsonSchemaValidator(resultsJsonSchema())(wrongVerdict) ?? '', /verdict/);
  });

  test('Markdown: targets with PASS, MISS and NOT RUN, every table, the missing scenario and the load', () => {
    const results = fixture();
    const markdown = renderMarkdown(results);
    for (const target of results.targets) {
      const line = markdown
        .split('\n')
        .find((row) => row.startsWith(`| ${target.description.replace(/\|/g, '\\|')} |`));
      assert.ok(line, `a row for ${target.id}`);
      assert.ok(line.includes(`| ${target.verdict} |`), `${target.id} shows ${target.verdict}`);
    }
    assert.match(markdown, /\| MISS \|/);
    assert.match(markdown, /\| PASS \|/);
    assert.match(markdown, /\| NOT RUN \|/);
    for (const title of [
      '## Targets',
      '## Sizes',
      '## In-process',
      '## Over HTTP',
      '## Bandwidth',
      '## Not run',
    ]) {
      assert.ok(markdown.includes(title), title);
    }
    assert.match(markdown, /- HTTP: better-auth, Redis secondary storage — skipped: Redis at/);
    assert.match(markdown, /other processes kept \d+% of a core busy/);
    assert.match(markdown, /The machine was shared/);
    // Every size that ran is in the table with its byte count.
    for (const item of results.sizes.items.filter((candidate) => candidate.status === 'ran')) {
      assert.ok(markdown.includes(`| ${item.label} | ${String(item.valueBytes)} |`), item.id);
    }
  });

  test('Markdown: Cloakroom beside each peer comes first, as ratios of this run, before anything about targets', () => {
    const results = fixture();
    const markdown = renderMarkdown(results);
    const { comparisons, targets } = positions(markdown, '## Cloakroom beside each peer');
    assert.ok(comparisons > 0, 'the comparison table is there');
    assert.ok(targets > comparisons, 'no word about targets before it');
    assert.ok(comparisons < markdown.indexOf('## Sizes'), 'before every other table');
    assert.doesNotMatch(markdown, /targets met/);
    const rows = markdown.slice(comparisons, markdown.indexOf('## Sizes')).split('\n');
    const scenario = (id: string) => results.http.scenarios.find((candidate) => candidate.id === id);
    for (const { peer, does } of COMPARISONS) {
      const label = scenario(peer)?.label ?? peer;
      const row = rows.find((line) => line.startsWith(`| ${label} |`));
      assert.ok(row, `a row for ${peer}`);
      assert.ok(row.endsWith(`| ${does} |`), `${peer} says what the servers do`);
    }
    // A ratio of two figures of the run: iron-session beside Cloakroom on SQLite, by rate and by CPU.
    const cloakroom = scenario('cloakroom-sqlite');
    const iron = scenario('iron-session');
    assert.ok(cloakroom?.ratio && iron?.ratio);
    const cpu = (iron.medianServerMicrosPerRequest ?? 0) / (cloakroom.medianServerMicrosPerRequest ?? 1);
    const ironRow = rows.find((line) => line.startsWith(`| ${iron.label} |`));
    assert.ok(
      ironRow?.includes(
        `| ${cloakroom.label} | ${formatRatio(cloakroom.ratio / iron.ratio)}x | ${formatRatio(cpu)}x | 278 B / 79 B |`,
      ),
      ironRow,
    );
    // A peer that did not run has no ratio, and says so.
    const skipped = rows.find((line) => line.startsWith('| better-auth, Redis secondary storage |'));
    assert.ok(skipped?.includes('| better-auth, Redis secondary storage: skipped | — | — |'), skipped);
  });

  test('HTML: Cloakroom beside each peer comes first too, before anything about targets', () => {
    const html = renderHtml(fixture());
    const { comparisons, targets } = positions(html, '<h2>Cloakroom beside each peer</h2>');
    assert.ok(comparisons > 0);
    assert.ok(targets > comparisons);
    assert.ok(comparisons < html.indexOf('<svg '), 'before the charts');
    assert.doesNotMatch(html, /targets met/);
  });

  test('terminal: the tables and the verdicts, the long detail columns left to the files', () => {
    const text = renderTerminal(fixture());
    assert.match(text, /^Targets$/m);
    assert.match(text, /MISS/);
    assert.match(text, /NOT RUN/);
    assert.match(text, /Not run:\n {2}- HTTP: better-auth, Redis secondary storage/);
    assert.doesNotMatch(text, /made with/);
  });

  test('HTML: self-contained (no script, no external resource), three charts, escaped text', () => {
    const results = fixture();
    results.notes.push('a note with <b>markup</b> & "quotes"');
    const html = renderHtml(results);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<link/i);
    assert.doesNotMatch(html, /\bsrc=/i);
    assert.doesNotMatch(html, /url\(/i);
    assert.equal(html.match(/<svg /g)?.length, 3);
    assert.ok(html.includes('a note with &lt;b&gt;markup&lt;/b&gt; &amp; &quot;quotes&quot;'));
    assert.ok(!html.includes('<b>markup</b>'));
    assert.match(html, /class="r v-miss">MISS</);
    assert.match(html, /class="r v-pass">PASS</);
  });

  test('writeReport writes the four files, and results.json reads back equal', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cloakroom-bench-report-'));
    try {
      const results = fixture();
      const written = writeReport(results, dir);
      assert.deepEqual(written.files.map((file) => file.slice(dir.length + 1)).sort(), [
        'report.html',
        'report.md',
        'results.json',
        'results.schema.json',
      ]);
      assert.deepEqual(readJson(join(dir, 'results.json')), JSON.parse(JSON.stringify(results)));
      const validate = jsonSchemaValidator(readJson(join(dir, 'results.schema.json')));
      assert.equal(validate(readJson(join(dir, 'results.json'))), null);
      assert.equal(readFileSync(join(dir, 'report.md'), 'utf8'), renderMarkdown(results));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('report.html in Chromium', () => {
    const missing = !existsSync(CHROMIUM);
    let browser: Browser | undefined;
    let dir = '';

    before(async () => {
      if (missing) return;
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--no-first-run',
          '--disable-background-networking',
        ],
      });
      dir = mkdtempSync(join(tmpdir(), 'cloakroom-bench-html-'));
    });
    after(async () => {
      await browser?.close();
      if (dir !== '') rmSync(dir, { recursive: true, force: true });
    });

    test('opens offline, draws the charts and the targets, and is screenshotted', async (t) => {
      if (missing) {
        if (process.env.CI === 'true') assert.fail(`CI=true and Chromium is missing at ${CHROMIUM}`);
        t.skip(`Chromium is not installed at ${CHROMIUM}: run scripts/ensure-chromium.sh`);
        return;
      }
      assert.ok(browser);
      const results = fixture();
      writeReport(results, dir);
      // Offline: any request other than the file itself fails the test.
      const context = await browser.newContext({ offline: true, viewport: { width: 1200, height: 900 } });
      const page = await context.newPage();
      const requests: string[] = [];
      const consoleErrors: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('console', (message) => {
        if (message.type() === 'error') consoleErrors.push(message.text());
      });
      const url = pathToFileURL(join(dir, 'report.html')).href;
      const response = await page.goto(url);
      assert.ok(response?.ok());
      assert.deepEqual(requests, [url]);
      assert.deepEqual(consoleErrors, []);
      assert.equal(await page.title(), `cloakroom bench report — ${results.startedAt}`);

      assert.equal(await page.locator('h2').first().textContent(), 'Cloakroom beside each peer');
      const charts = page.locator('svg');
      assert.equal(await charts.count(), 3);
      for (let i = 0; i < 3; i++) {
        const box = await charts.nth(i).boundingBox();
        assert.ok(box !== null && box.width > 400 && box.height > 100, `chart ${String(i)} is drawn`);
      }
      // One bar per HTTP scenario with a ratio, in the first chart.
      const withRatio = results.http.scenarios.filter((scenario) => scenario.ratio !== undefined).length;
      assert.equal(await charts.nth(0).locator('rect').count(), withRatio);
      const verdicts = await page.locator('td.v-pass, td.v-miss, td.v-not-run').allTextContents();
      assert.deepEqual(
        verdicts,
        results.targets.map((target) => target.verdict),
      );

      mkdirSync(SCREENSHOTS, { recursive: true });
      const file = join(SCREENSHOTS, 'report.png');
      await page.screenshot({ path: file, fullPage: true });
      assert.ok(existsSync(file));
      await context.close();
    });
  });
});
