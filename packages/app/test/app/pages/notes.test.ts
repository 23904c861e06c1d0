// The notes pages over real HTTP: create, edit, delete, validation, escaping, and other users' notes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { NOTE_TITLE_MAX } from '../../../src/app/notes.js';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { assertSeeOther, escapeHtml, h1Of, PageClient, uniqueEmail } from './client.js';

describe('pages: notes', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.stop());

  async function signedInClient(): Promise<PageClient> {
    const client = new PageClient(app);
    await client.register(uniqueEmail('notes'));
    return client;
  }

  test('an empty list says so, and offers a labelled form', async () => {
    const client = await signedInClient();
    const page = await client.get('/notes');
    assert.equal(page.status, 200);
    assert.equal(h1Of(page.text), 'Your notes');
    assert.match(page.flat, /No notes yet/);
    assert.match(page.flat, /<form method="post" action="\/notes">/);
    assert.match(page.flat, /<label for="new-title">Title<\/label>/);
    assert.match(page.flat, /<label for="new-body">Note<\/label>/);
  });

  test('create redirects with 303 and the note is listed', async () => {
    const client = await signedInClient();
    const response = await client.post('/notes', { title: 'Shopping', body: 'Milk\nBread' });
    assertSeeOther(response, '/notes?notice=note-created');
    const page = await client.get('/notes?notice=note-created');
    assert.match(page.flat, /role="status"><p>Note created\.<\/p>/);
    assert.match(page.flat, /<h3>Shopping<\/h3><p class="excerpt">/);
    assert.ok(page.text.includes('>Milk\nBread</p>'), 'line breaks are kept for pre-wrap');
    assert.match(page.flat, /1 note</);
  });

  test('a title and body that are markup are escaped on the list and on the edit form', async () => {
    const client = await signedInClient();
    const title = '<script>alert("t")</script>';
    const body = "</textarea><script>alert('b')</script>&amp;";
    const id = await client.createNote(title, body);

    const list = await client.get('/notes');
    assert.ok(!list.text.includes('<script>'), 'no script tag reaches the page');
    assert.ok(list.text.includes(escapeHtml(title)));
    assert.ok(list.text.includes(escapeHtml(body)), 'the body is escaped, & included');

    const edit = await client.get(`/notes/${id}`);
    assert.equal(edit.status, 200);
    assert.ok(!edit.text.includes('<script>'));
    assert.ok(!edit.text.includes('</textarea><script>'), 'the body cannot close the textarea');
    assert.ok(edit.text.includes(`value="${escapeHtml(title)}"`), 'the title input holds the escaped title');
    assert.ok(edit.text.includes(`>${escapeHtml(body)}</textarea>`), 'the textarea holds the escaped body');
    assert.ok(edit.text.includes(`<title>Edit “${escapeHtml(title)}” · Cloakroom</title>`));
  });

  test('an empty or too long title re-renders the form with 400, keeping what was typed', async () => {
    const client = await signedInClient();
    const empty = await client.post('/notes', { title: '   ', body: 'kept body text' });
    assert.equal(empty.status, 400);
    assert.match(empty.flat, /Give the note a title\./);
    assert.match(empty.flat, />kept body text<\/textarea>/);
    assert.match(empty.flat, /id="new-title"[^>]*aria-describedby="form-error"[^>]*aria-invalid="true"/);

    const long = await client.post('/notes', { title: 'x'.repeat(NOTE_TITLE_MAX + 1), body: '' });
    assert.equal(long.status, 400);
    assert.match(long.flat, /Keep the title under 200 characters\./);
    assert.ok(long.text.includes(`value="${'x'.repeat(NOTE_TITLE_MAX + 1)}"`));

    const missing = await client.post('/notes', {});
    assert.equal(missing.status, 400);
    assert.match((await client.get('/notes')).flat, /No notes yet/, 'nothing was created');
  });

  test('edit shows the note, saves changes with a 303, and refuses an empty title', async () => {
    const client = await signedInClient();
    const id = await client.createNote('Draft', 'first version');
    const edit = await client.get(`/notes/${id}`);
    assert.equal(h1Of(edit.text), 'Edit note');
    assert.match(edit.flat, new RegExp(`<form method="post" action="/notes/${id}">`));
    assert.ok(edit.text.includes('value="Draft"'));
    assert.ok(edit.text.includes('>first version</textarea>'));

    assertSeeOther(
      await client.post(`/notes/${id}`, { title: 'Final', body: 'second version' }),
      '/notes?notice=note-saved',
    );
    const saved = await client.get(`/notes/${id}`);
    assert.ok(saved.text.includes('value="Final"'));
    assert.ok(saved.text.includes('>second version</textarea>'));

    const refused = await client.post(`/notes/${id}`, { title: '', body: 'third version' });
    assert.equal(refused.status, 400);
    assert.match(refused.flat, /Give the note a title\./);
    assert.ok(refused.text.includes('>third version</textarea>'), 'what was typed is kept');
    assert.ok(
      (await client.get(`/notes/${id}`)).text.includes('>second version</textarea>'),
      'nothing saved',
    );
  });

  test('delete removes the note with a 303; deleting it again is 404', async () => {
    const client = await signedInClient();
    const id = await client.createNote('Temporary');
    assertSeeOther(await client.post(`/notes/${id}/delete`), '/notes?notice=note-deleted');
    const page = await client.get('/notes?notice=note-deleted');
    assert.match(page.flat, /Note deleted\./);
    assert.match(page.flat, /No notes yet/);
    assert.equal((await client.post(`/notes/${id}/delete`)).status, 404);
    assert.equal((await client.get(`/notes/${id}`)).status, 404);
  });

  test("another user's note is a 404 page for viewing, editing and deleting, and stays untouched", async () => {
    const owner = await signedInClient();
    const id = await owner.createNote('Mine', 'private');
    const intruder = await signedInClient();

    const view = await intruder.get(`/notes/${id}`);
    assert.equal(view.status, 404);
    assert.equal(h1Of(view.text), 'Page not found');
    assert.ok(!view.text.includes('private'));
    assert.equal((await intruder.post(`/notes/${id}`, { title: 'Hacked', body: '' })).status, 404);
    assert.equal((await intruder.post(`/notes/${id}/delete`)).status, 404);

    const still = await owner.get(`/notes/${id}`);
    assert.equal(still.status, 200);
    assert.ok(still.text.includes('value="Mine"'));
    assert.ok(still.text.includes('>private</textarea>'));
  });

  test('an unknown or malformed note id is a 404 page', async () => {
    const client = await signedInClient();
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '%3Cscript%3E']) {
      const page = await client.get(`/notes/${id}`);
      assert.equal(page.status, 404, id);
      assert.equal(h1Of(page.text), 'Page not found');
      assert.ok(!page.text.includes('<script>'));
    }
  });
});
