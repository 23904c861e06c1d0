import type { Tracer } from '@opentelemetry/api';
import {
  cloakroomTracer,
  errorLabel,
  inSpan,
  METRICS,
  type Counter,
  type Metrics,
} from '../metrics/index.js';
import type { ValidationResult } from './validate.js';

/** What the session layer records, resolved once from the manager's `metrics` and `tracing` options. */
export interface SessionTelemetry {
  readonly validations: Counter | null;
  readonly tracer: Tracer | null;
  /** Counts a validation's result and hands it on: made once, so counting allocates nothing per request. */
  readonly counted: <U>(result: ValidationResult<U>) => ValidationResult<U>;
  /** Counts a validation that failed (the store) and rethrows. */
  readonly failed: (error: unknown) => never;
}

/** `null` when neither metrics nor tracing is on, so validation takes its plain path. */
export function resolveSessionTelemetry(options: {
  metrics?: Metrics | undefined;
  tracing?: boolean | undefined;
}): SessionTelemetry | null {
  const metrics: unknown = options.metrics;
  if (metrics !== undefined && (typeof metrics !== 'object' || metrics === null)) {
    throw new TypeError('metrics must be a Metrics object (cloakroom/metrics)');
  }
  const tracing: unknown = options.tracing ?? false;
  if (typeof tracing !== 'boolean') throw new TypeError('tracing must be a boolean');
  if (options.metrics === undefined && !tracing) return null;
  const validations = options.metrics?.counter(METRICS.sessionValidations) ?? null;
  return {
    validations,
    tracer: tracing ? cloakroomTracer() : null,
    counted: (result) => {
      validations?.inc(outcomeLabels(result.valid ? 'valid' : result.reason));
      return result;
    },
    failed: (error) => {
      validations?.inc(outcomeLabels(errorLabel(error)));
      throw error;
    },
  };
}

const OUTCOME_LABELS = new Map<string, { outcome: string }>();
const outcomeLabels = (outcome: string) => {
  let labels = OUTCOME_LABELS.get(outcome);
  if (labels === undefined) OUTCOME_LABELS.set(outcome, (labels = { outcome }));
  return labels;
};

/**
 * Runs a validation, counting its outcome (`valid`, the reason, or `store_unavailable`) and, with tracing,
 * inside a `cloakroom.session.validate` span whose attributes are the outcome and, when valid, the user id
 * and the session's public id: never the token.
 */
export function observeValidation<U>(
  telemetry: SessionTelemetry,
  validate: () => Promise<ValidationResult<U>>,
): Promise<ValidationResult<U>> {
  const { tracer } = telemetry;
  if (tracer === null) return validate().then(telemetry.counted, telemetry.failed);
  return inSpan(tracer, 'cloakroom.session.validate', {}, async (span) => {
    const result = await validate().then(telemetry.counted, telemetry.failed);
    span.setAttribute('cloakroom.session.outcome', result.valid ? 'valid' : result.reason);
    if (result.valid) {
      span.setAttribute('enduser.id', result.session.userId);
      span.setAttribute('cloakroom.session.id', result.session.id);
    }
    return result;
  });
}
