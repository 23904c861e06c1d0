import { cloakroomTracer, errorLabel, inSpan, METRICS, type Metrics } from 'cloakroom/metrics';

/** The grant names counted; anything else a client sends counts as `other`. */
const GRANTS = new Set([
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:token-exchange',
]);

/** Runs one token issuance, counted by grant and outcome and, with tracing, in a span. */
export type ObserveIssuance = <T>(grant: string, issue: () => Promise<T>) => Promise<T>;

/**
 * Token issuance by grant (`refresh_token`, `client_credentials`, `token_exchange`, `session` for
 * `POST /api/tokens`, else `other`) and outcome (`issued`, or the error's code) in
 * `cloakroom_token_issuance_total`, and a `cloakroom.tokens.issue` span with the grant only. Free when both
 * are off.
 */
export function observeIssuance(metrics: Metrics | undefined, tracing: boolean): ObserveIssuance {
  const counter = metrics?.counter(METRICS.tokenIssuance) ?? null;
  const tracer = tracing ? cloakroomTracer() : null;
  return async (grantType, issue) => {
    if (counter === null && tracer === null) return issue();
    const grant = grantLabel(grantType);
    const counted = async () => {
      try {
        const result = await issue();
        counter?.inc({ grant, outcome: 'issued' });
        return result;
      } catch (error) {
        counter?.inc({ grant, outcome: errorLabel(error) });
        throw error;
      }
    };
    return tracer === null
      ? counted()
      : inSpan(tracer, 'cloakroom.tokens.issue', { 'cloakroom.grant': grant }, counted);
  };
}

/** The `grant_type` of a token request's form body, as a bounded label. */
export function grantOfForm(body: string): string {
  try {
    return new URLSearchParams(body).get('grant_type') ?? 'other';
  } catch {
    return 'other';
  }
}

function grantLabel(grantType: string): string {
  if (grantType === 'session') return 'session';
  if (!GRANTS.has(grantType)) return 'other';
  return grantType.startsWith('urn:') ? 'token_exchange' : grantType;
}
