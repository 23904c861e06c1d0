import {
  context,
  INVALID_SPAN_CONTEXT,
  ProxyTracerProvider,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
  type Tracer,
} from '@opentelemetry/api';

/** The instrumentation scope of every Cloakroom span. */
export const TRACER_NAME = 'cloakroom';

/**
 * The tracer Cloakroom's spans are made with: `@opentelemetry/api`'s global one, a no-op until the
 * application registers an SDK (before or after this call: the API's proxy tracer picks it up).
 */
export function cloakroomTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/**
 * What `@opentelemetry/api`'s proxy delegates to while no SDK is registered. `ProxyTracerProvider` is marked
 * for removal in the API's next major version; until then (1.x, which Cloakroom pins) it is the only way to
 * tell "no SDK" apart without making a span.
 */
// eslint-disable-next-line @typescript-eslint/no-deprecated
const NO_SDK = new ProxyTracerProvider().getDelegate();
/** The span `inSpan` hands to `run` while no SDK is registered: records nothing, like the API's own. */
const NOT_RECORDING = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/**
 * Whether an OpenTelemetry SDK is registered now (checked per call: one may be registered after start).
 * Without one every span is a no-op; skipping them also skips the context and span objects the API would
 * make per call, which on the validation path of every request is measurable (docs/benchmarks.md).
 */
export function tracingRecords(): boolean {
  const provider = trace.getTracerProvider();
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  return !(provider instanceof ProxyTracerProvider) || provider.getDelegate() !== NO_SDK;
}

/**
 * Runs `run` in a new active span (so store calls made inside become its children) and ends it when `run`
 * settles. A failure sets the span's status to error with the error's `code` (or name) only: never its
 * message, which could carry a driver's details, and never the error object.
 */
export async function inSpan<T>(
  tracer: Tracer,
  name: string,
  attributes: Attributes,
  run: (span: Span) => Promise<T>,
): Promise<T> {
  if (!tracingRecords()) return run(NOT_RECORDING);
  const span = tracer.startSpan(name, { kind: SpanKind.INTERNAL, attributes });
  try {
    return await context.with(trace.setSpan(context.active(), span), run, undefined, span);
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Marks `span` failed with the error's stable `code` (or class name) as its description. */
export function failSpan(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: errorLabel(error) });
}

/** A bounded, secret-free name for an error: its `code` when it has a string one, else its class name. */
export function errorLabel(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && /^[a-z0-9_.-]{1,64}$/i.test(code)) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && /^[A-Za-z0-9_]{1,64}$/.test(name)) return name;
  }
  return 'error';
}
