// Spans are made only while an OpenTelemetry SDK is registered: before one, `inSpan` runs its work with a
// span that records nothing and makes no context; once one is registered (after the tracer was obtained, as
// an application that starts its SDK late does), the same tracer's spans are recorded, store calls included.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trace } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { cloakroomTracer, inSpan, tracingRecords } from '../../src/metrics/tracing.js';
import { instrumentStore } from '../../src/metrics/instrument-store.js';
import { MemoryStore } from '../../src/stores/memory.js';

test('no SDK: no spans, the work still runs; an SDK registered later: spans recorded', async () => {
  const tracer = cloakroomTracer();
  const store = instrumentStore(new MemoryStore(), { backend: 'memory', tracing: true });
  assert.equal(tracingRecords(), false);
  const result = await inSpan(tracer, 'cloakroom.test', {}, async (span) => {
    assert.equal(span.isRecording(), false);
    span.setAttribute('ignored', 1);
    assert.equal(await store.get('a'.repeat(18)), null);
    return 42;
  });
  assert.equal(result, 42);

  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  );
  try {
    assert.equal(tracingRecords(), true);
    await inSpan(tracer, 'cloakroom.test', { answer: 42 }, async (span) => {
      assert.equal(span.isRecording(), true);
      await store.get('a'.repeat(18));
    });
    const names = exporter.getFinishedSpans().map((span) => span.name);
    assert.deepEqual(names.sort(), ['cloakroom.store.get', 'cloakroom.test']);
  } finally {
    trace.disable();
  }
  assert.equal(tracingRecords(), false);
});
