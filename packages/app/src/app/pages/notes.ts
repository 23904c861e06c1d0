import type { z } from 'zod';
import type { RequestContext } from '../http/context.js';
import { html as htmlReply, type Reply } from '../http/reply.js';
import type { AppRouter } from '../http/router.js';
import { notFound } from '../http/errors.js';
import { NOTE_BODY_MAX, NOTE_TITLE_MAX, newNoteSchema, noteChangesSchema, type Note } from '../notes.js';
import type { AppServices } from '../services.js';
import { formatDateTime, isoDateTime } from './format.js';
import { formAlert, formField, readForm } from './forms.js';
import { renderPage } from './layout.js';
import { html, type Html } from './markup.js';
import { noticeOf, seeOther, signedIn, withNotice } from './page-context.js';
import { unverifiedBanner } from './recovery.js';

interface Draft {
  title: string;
  body: string;
}

interface DraftProblem {
  message: string;
  field: 'title' | 'body';
}

const EXCERPT_LENGTH = 280;

/** The first problem zod found with a draft, in words for people. */
function draftProblemOf(error: z.ZodError): DraftProblem {
  const field = error.issues[0]?.path[0] === 'body' ? 'body' : 'title';
  if (field === 'body') {
    return { field, message: `A note can hold up to ${NOTE_BODY_MAX.toLocaleString('en')} characters.` };
  }
  const tooLong = error.issues.some((issue) => issue.code === 'too_big');
  return {
    field,
    message: tooLong ? `Keep the title under ${NOTE_TITLE_MAX} characters.` : 'Give the note a title.',
  };
}

function draftFields(draft: Draft, problem: DraftProblem | null, idPrefix: string, rows: number): Html {
  return html`${formField({
    name: 'title',
    label: 'Title',
    value: draft.title,
    required: true,
    maxLength: NOTE_TITLE_MAX,
    autocomplete: 'off',
    idPrefix,
    autofocus: problem?.field === 'title',
    invalid: problem?.field === 'title',
  })}
  ${formField({
    name: 'body',
    label: 'Note',
    type: 'textarea',
    value: draft.body,
    maxLength: NOTE_BODY_MAX,
    rows,
    idPrefix,
    autofocus: problem?.field === 'body',
    invalid: problem?.field === 'body',
  })}`;
}

function excerpt(body: string): string {
  const text = body.trim();
  return text.length <= EXCERPT_LENGTH ? text : `${text.slice(0, EXCERPT_LENGTH).trimEnd()}…`;
}

function noteItem(note: Note): Html {
  const updated = Date.parse(note.updatedAt);
  return html`<li class="note">
    <h3>${note.title}</h3>
    ${note.body.trim() === '' ? '' : html`<p class="excerpt">${excerpt(note.body)}</p>`}
    <div class="item-footer">
      <span class="meta"
        >Updated <time datetime="${isoDateTime(updated)}">${formatDateTime(updated)}</time></span
      >
      <div class="actions">
        <a class="button button-secondary button-small" href="/notes/${note.id}"
          >Edit<span class="visually-hidden"> “${note.title}”</span></a
        >
        <form method="post" action="/notes/${note.id}/delete">
          <button type="submit" class="button-danger button-small">
            Delete<span class="visually-hidden"> “${note.title}”</span>
          </button>
        </form>
      </div>
    </div>
  </li>`;
}

/** The notes page: the new-note form, then the user's notes, most recently changed first. */
async function renderNotesPage(
  ctx: RequestContext,
  { notes, recovery }: Pick<AppServices, 'notes' | 'recovery'>,
  state: { draft?: Draft; problem?: DraftProblem | null; status?: 200 | 400 } = {},
): Promise<Reply> {
  const { user } = signedIn(ctx);
  const [list, account] = await Promise.all([notes.list(user.id), recovery.findUser(user.id)]);
  const problem = state.problem ?? null;
  const content = html`${unverifiedBanner(account?.emailVerified ?? true)}
    <h1>Your notes</h1>
    <p class="page-intro">Private to your account. Only you can see them.</p>
    <section class="card" aria-labelledby="new-note-heading">
      <h2 id="new-note-heading">New note</h2>
      ${formAlert(problem?.message)}
      <form method="post" action="/notes">
        ${draftFields(state.draft ?? { title: '', body: '' }, problem, 'new-', 4)}
        <div class="actions"><button type="submit">Add note</button></div>
      </form>
    </section>
    <section aria-labelledby="list-heading">
      <div class="section-head">
        <h2 id="list-heading">All notes</h2>
        <span class="meta">${list.length === 1 ? '1 note' : `${list.length} notes`}</span>
      </div>
      ${
        list.length === 0
          ? html`<p class="empty">No notes yet. Write your first one above.</p>`
          : html`<ul class="note-list">
              ${list.map(noteItem)}
            </ul>`
      }
    </section>`;
  return htmlReply(
    renderPage({ title: 'Notes', user, current: 'notes', notice: noticeOf(ctx), content }),
    state.status ?? 200,
  );
}

/** The edit page for one note. */
function renderEditPage(
  ctx: RequestContext,
  note: Note,
  state: { draft?: Draft; problem?: DraftProblem; status?: 200 | 400 } = {},
): Reply {
  const { user } = signedIn(ctx);
  const draft = state.draft ?? { title: note.title, body: note.body };
  const created = Date.parse(note.createdAt);
  const content = html`<p><a href="/notes">← All notes</a></p>
    <h1>Edit note</h1>
    <p class="page-intro">
      Created <time datetime="${isoDateTime(created)}">${formatDateTime(created)}</time>
    </p>
    <div class="card">
      ${formAlert(state.problem?.message)}
      <form method="post" action="/notes/${note.id}">
        ${draftFields(draft, state.problem ?? null, '', 12)}
        <div class="actions">
          <button type="submit">Save changes</button>
          <a class="button button-secondary" href="/notes">Cancel</a>
        </div>
      </form>
    </div>
    <section class="card card-danger" aria-labelledby="delete-heading">
      <h2 id="delete-heading">Delete this note</h2>
      <p>Deleting cannot be undone.</p>
      <form method="post" action="/notes/${note.id}/delete">
        <button type="submit" class="button-danger">Delete note</button>
      </form>
    </section>`;
  return htmlReply(
    renderPage({ title: `Edit “${note.title}”`, user, current: 'notes', content }),
    state.status ?? 200,
  );
}

function noteId(ctx: RequestContext): string {
  const id = ctx.params.id;
  if (id === undefined) throw notFound();
  return id;
}

/** Notes: list and create, edit, delete. Every query is scoped to the signed-in user. */
export function notePages(router: AppRouter, services: AppServices): void {
  const { notes } = services;

  router.route(
    '/notes',
    { errors: 'page', auth: 'cookie' },
    {
      GET: (ctx) => renderNotesPage(ctx, services),
      POST: async (ctx) => {
        const { user } = signedIn(ctx);
        const field = await readForm(ctx);
        const draft = { title: field('title'), body: field('body') };
        const parsed = newNoteSchema.safeParse(draft);
        if (!parsed.success) {
          return renderNotesPage(ctx, services, {
            draft,
            problem: draftProblemOf(parsed.error),
            status: 400,
          });
        }
        await notes.create(user.id, parsed.data);
        return seeOther(withNotice('/notes', 'note-created'));
      },
    },
  );

  router.route(
    '/notes/:id',
    { errors: 'page', auth: 'cookie' },
    {
      GET: async (ctx) => {
        const { user } = signedIn(ctx);
        const note = await notes.get(user.id, noteId(ctx));
        if (note === null) throw notFound();
        return renderEditPage(ctx, note);
      },
      POST: async (ctx) => {
        const { user } = signedIn(ctx);
        const note = await notes.get(user.id, noteId(ctx));
        if (note === null) throw notFound();
        const field = await readForm(ctx);
        const draft = { title: field('title'), body: field('body') };
        const parsed = noteChangesSchema.safeParse(draft);
        if (!parsed.success) {
          return renderEditPage(ctx, note, { draft, problem: draftProblemOf(parsed.error), status: 400 });
        }
        if ((await notes.update(user.id, note.id, parsed.data)) === null) throw notFound();
        return seeOther(withNotice('/notes', 'note-saved'));
      },
    },
  );

  router.route(
    '/notes/:id/delete',
    { errors: 'page', auth: 'cookie' },
    {
      POST: async (ctx) => {
        const { user } = signedIn(ctx);
        if (!(await notes.delete(user.id, noteId(ctx)))) throw notFound();
        return seeOther(withNotice('/notes', 'note-deleted'));
      },
    },
  );
}
