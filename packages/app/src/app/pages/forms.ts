import {
  AccountLockedError,
  CloakroomError,
  EmailTakenError,
  InvalidCredentialsError,
  InvalidRequestError,
  TooManyAttemptsError,
  WeakPasswordError,
} from 'cloakroom';
import { MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from 'cloakroom/accounts';
import { readBody } from '../http/body.js';
import type { RequestContext } from '../http/context.js';
import { formatWait } from './format.js';
import { html, type Html } from './markup.js';

/** A posted form's text fields; a missing field, or a file where text was expected, reads as `''`. */
export type FormFields = (name: string) => string;

const FORM_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * Reads a urlencoded (or multipart) form body, at most 64 KiB (413 past that); a body that cannot be parsed
 * is 400 `invalid_request`. Any other content type reads as an empty form. A repeated field keeps its last
 * value.
 */
export async function readForm(ctx: RequestContext): Promise<FormFields> {
  const contentType = ctx.header('content-type') ?? '';
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  const fields = new Map<string, unknown>();
  if (FORM_TYPES.has(type)) {
    const body = await readBody(ctx.req);
    try {
      const entries =
        type === 'multipart/form-data'
          ? await new Response(new Uint8Array(body), { headers: { 'content-type': contentType } }).formData()
          : new URLSearchParams(body.toString('utf8'));
      entries.forEach((value, name) => fields.set(name, value));
    } catch {
      throw new InvalidRequestError('The form could not be read.');
    }
  }
  return (name) => {
    const value = fields.get(name);
    return typeof value === 'string' ? value : '';
  };
}

/** A refusal to show on a re-rendered form: the status to answer with, a message and the field at fault. */
export interface FormProblem {
  status: number;
  message: string;
  field: string | null;
  headers: Record<string, string>;
}

const problem = (
  status: number,
  message: string,
  field: string | null = null,
  headers: Record<string, string> = {},
): FormProblem => ({ status, message, field, headers });

/**
 * The account errors a form answers by showing the form again, in words for people; `null` for anything
 * else (a CSRF refusal, a store outage), which goes to the error page instead. `passwordField` names the
 * form's field for a new password.
 */
export function accountProblemOf(error: unknown, passwordField = 'password'): FormProblem | null {
  if (!(error instanceof CloakroomError)) return null;
  if (error instanceof InvalidCredentialsError) {
    return problem(401, 'That email and password do not match an account. Check them and try again.');
  }
  if (error instanceof TooManyAttemptsError) {
    const wait = error.retryAfterSeconds;
    return problem(429, `Too many failed attempts. Try again in ${formatWait(wait)}.`, null, {
      'retry-after': String(wait),
    });
  }
  if (error instanceof AccountLockedError) {
    return problem(403, 'This account is locked. Contact the site’s administrators.');
  }
  if (error instanceof WeakPasswordError) return problem(400, error.message, passwordField);
  if (error instanceof EmailTakenError) {
    return problem(
      409,
      'An account with this email already exists. Sign in instead, or use another email.',
      'email',
    );
  }
  if (error instanceof InvalidRequestError) {
    if (error.field === 'email')
      return problem(400, 'Enter a valid email address, like name@example.com.', 'email');
    return problem(400, 'Fill in every field and try again.', error.field);
  }
  return null;
}

/** The id of the message box above a form; a field at fault points to it with `aria-describedby`. */
export const FORM_ERROR_ID = 'form-error';

/** The box above a form that says what went wrong. */
export function formAlert(message: string | null | undefined): Html | '' {
  if (!message) return '';
  return html`<div class="alert" role="alert" id="${FORM_ERROR_ID}"><p>${message}</p></div>`;
}

export interface FieldOptions {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password' | 'textarea';
  value?: string;
  autocomplete?: string;
  hint?: string;
  /** Whether the form's error (see {@link formAlert}) is about this field. */
  invalid?: boolean;
  required?: boolean;
  maxLength?: number;
  minLength?: number;
  autofocus?: boolean;
  /** A textarea's height in lines. */
  rows?: number;
  /** An id prefix, when one page holds several forms with the same field names. */
  idPrefix?: string;
}

/** A labelled input (or textarea) with its hint and error, accessible without any script. */
export function formField(options: FieldOptions): Html {
  const id = `${options.idPrefix ?? ''}${options.name}`;
  const hintId = options.hint === undefined ? null : `${id}-hint`;
  const describedBy = [hintId, options.invalid ? FORM_ERROR_ID : null]
    .filter((value) => value !== null)
    .join(' ');
  const attributes = html`id="${id}"
  name="${options.name}"${
    options.autocomplete === undefined ? '' : html` autocomplete="${options.autocomplete}"`
  }${options.required ? html` required` : ''}${
    options.maxLength === undefined ? '' : html` maxlength="${options.maxLength}"`
  }${options.minLength === undefined ? '' : html` minlength="${options.minLength}"`}${
    options.autofocus ? html` autofocus` : ''
  }${describedBy === '' ? '' : html` aria-describedby="${describedBy}"`}${
    options.invalid ? html` aria-invalid="true"` : ''
  }`;
  const control =
    options.type === 'textarea'
      ? html`<textarea ${attributes} rows="${options.rows ?? 8}">${options.value ?? ''}</textarea>`
      : html`<input
          type="${options.type ?? 'text'}"
          ${attributes}${options.value === undefined ? '' : html` value="${options.value}"`}
        />`;
  return html`<div class="field">
    <label for="${id}">${options.label}</label>
    ${hintId === null ? '' : html`<span class="hint" id="${hintId}">${options.hint}</span>`} ${control}
  </div>`;
}

/** The new-password field of the change-password and reset-password forms: the policy's lengths, one hint. */
export function newPasswordField(problem: FormProblem | undefined, autofocus: boolean): Html {
  return formField({
    name: 'newPassword',
    label: 'New password',
    type: 'password',
    autocomplete: 'new-password',
    hint: `${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters. A long phrase you can remember works well.`,
    required: true,
    minLength: MIN_PASSWORD_LENGTH,
    maxLength: MAX_PASSWORD_LENGTH,
    autofocus,
    invalid: problem?.field === 'newPassword',
  });
}
