export { checkRequestOrigin, isUnsafeMethod, type OriginCheckInput, type OriginCheckMode } from './check.js';
export { CsrfRejectedError, type CsrfRejectionReason } from './errors.js';
