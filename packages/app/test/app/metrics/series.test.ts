// The site's prom-client adapter (promMetrics over series.ts): what it records is what the registry prints,
// in a format a Prometheus text parser reads; label objects found by identity still land in the right series
// when the caller changes them; bad labels and values are refused as prom-client's own metrics refuse them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { Registry } from 'prom-client';
import { promMetrics } from '../../../src/app/metrics/prometheus.js';

const COUNTER = { name: 'test_things_total', help: 'Things.', labelNames: ['kind', 'outcome'] };
const HISTOGRAM = {
  name: 'test_call_seconds',
  help: 'Calls.',
  labelNames: ['operation'],
  buckets: [0.01, 0.001, 0.1], // out of order on purpose: bounds are sorted
};

function setup() {
  const registry = new Registry();
  const metrics = promMetrics(registry);
  return { registry, counter: metrics.counter(COUNTER), histogram: metrics.histogram(HISTOGRAM), metrics };
}

/** `name{labels} value` lines of the exposition, as a map. */
async function samples(registry: Registry): Promise<Map<string, number>> {
  const text = await registry.metrics();
  parsePrometheusTextFormat(text); // throws on anything malformed
  const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  return new Map(lines.map((line) => [line.slice(0, line.lastIndexOf(' ')), Number(line.split(' ').at(-1))]));
}

describe('promMetrics (series recorded as numbers, formatted by prom-client)', () => {
  test('counters: one series per label set, values added, missing labels empty', async () => {
    const { registry, counter } = setup();
    const ok = { kind: 'a', outcome: 'ok' };
    counter.inc(ok);
    counter.inc(ok, 2);
    counter.inc({ kind: 'a', outcome: 'ok' }); // another object with the same values: the same series
    counter.inc({ kind: 'b', outcome: 'failed' }, 0.5);
    counter.inc({ kind: 'c' });
    const got = await samples(registry);
    assert.equal(got.get('test_things_total{kind="a",outcome="ok"}'), 4);
    assert.equal(got.get('test_things_total{kind="b",outcome="failed"}'), 0.5);
    assert.equal(got.get('test_things_total{kind="c"}'), 1);
    assert.equal([...got.keys()].filter((key) => key.startsWith('test_things_total')).length, 3);
  });

  test('histograms: cumulative buckets in bound order, +Inf, sum and count per series', async () => {
    const { registry, histogram } = setup();
    const get = { operation: 'get' };
    for (const value of [0.0005, 0.001, 0.002, 0.05, 0.5]) histogram.observe(get, value);
    histogram.observe({ operation: 'touch' }, 0.02);
    const got = await samples(registry);
    const bucket = (operation: string, le: string) =>
      got.get(`test_call_seconds_bucket{operation="${operation}",le="${le}"}`);
    assert.deepEqual(
      ['0.001', '0.01', '0.1', '+Inf'].map((le) => bucket('get', le)),
      [2, 3, 4, 5],
    );
    assert.equal(got.get('test_call_seconds_count{operation="get"}'), 5);
    assert.ok(Math.abs((got.get('test_call_seconds_sum{operation="get"}') ?? 0) - 0.5535) < 1e-12);
    assert.deepEqual(
      ['0.001', '0.01', '0.1', '+Inf'].map((le) => bucket('touch', le)),
      [0, 0, 1, 1],
    );
  });

  test('a label object changed after use is recorded under its new values, not its old series', async () => {
    const { registry, counter } = setup();
    const labels = { kind: 'a', outcome: 'ok' };
    counter.inc(labels);
    labels.outcome = 'failed';
    counter.inc(labels);
    counter.inc(labels);
    const got = await samples(registry);
    assert.equal(got.get('test_things_total{kind="a",outcome="ok"}'), 1);
    assert.equal(got.get('test_things_total{kind="a",outcome="failed"}'), 2);
  });

  test('label values are escaped by the registry', async () => {
    const { registry, counter } = setup();
    counter.inc({ kind: 'quote " back \\ line \n end', outcome: 'ok' });
    const text = await registry.metrics();
    assert.match(text, /kind="quote \\" back \\\\ line \\n end"/);
    parsePrometheusTextFormat(text);
  });

  test('refused like prom-client refuses: an unknown label, a non-string value, a negative or non-finite number', () => {
    const { counter, histogram } = setup();
    assert.throws(() => counter.inc({ kind: 'a', who: 'x' }), /label who is not one of/);
    assert.throws(() => counter.inc({ kind: 1 as unknown as string }), /must be a string/);
    assert.throws(() => counter.inc({ kind: 'a' }, -1), TypeError);
    assert.throws(() => counter.inc({ kind: 'a' }, Number.NaN), TypeError);
    assert.throws(() => histogram.observe({ operation: 'get' }, Number.POSITIVE_INFINITY), TypeError);
    assert.throws(() => histogram.observe({ operation: 'get' }, Number.NaN), TypeError);
  });

  test('one metric per name: asking again returns it; the registry resets it', async () => {
    const { registry, counter, metrics } = setup();
    counter.inc({ kind: 'a' });
    metrics.counter(COUNTER).inc({ kind: 'a' });
    assert.equal((await samples(registry)).get('test_things_total{kind="a"}'), 2);
    registry.resetMetrics();
    assert.equal((await samples(registry)).get('test_things_total{kind="a"}'), undefined);
    const json = await registry.getMetricsAsJSON();
    assert.deepEqual(json.map((metric) => metric.name).sort(), ['test_call_seconds', 'test_things_total']);
  });
});
