// The notes routes over real HTTP: create, list, read, update, delete, limits, and isolation between users.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, assertError, uniqueEmail } from './client.js';

interface Note {
  id: string;
  title: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('notes API', () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.stop();
  });

  const signedIn = async () => {
    const client = new ApiClient(app);
    await client.register(uniqueEmail());
    return client;
  };
  const create = async (client: ApiClient, input: unknown) => {
    const response = await client.post('/api/notes', input);
    assert.equal(response.status, 201, response.text);
    return (response.body as { note: Note }).note;
  };

  test('POST /api/notes: 201 {note:{id,title,body,createdAt,updatedAt}}', async () => {
    const client = await signedIn();
    const response = await client.post('/api/notes', { title: 'Groceries', body: 'eggs, milk' });
    assert.equal(response.status, 201);
    const { note } = response.body as { note: Note };
    assert.deepEqual(Object.keys(response.body as object), ['note']);
    assert.deepEqual(Object.keys(note).sort(), ['body', 'createdAt', 'id', 'title', 'updatedAt']);
    assert.equal(note.title, 'Groceries');
    assert.equal(note.body, 'eggs, milk');
    assert.match(note.createdAt, ISO);
    assert.equal(note.updatedAt, note.createdAt);
    // The body is optional.
    const empty = await create(client, { title: 'No body' });
    assert.equal(empty.body, '');
  });

  test('GET /api/notes: 200 {notes:[…]}, only my own', async () => {
    const alice = await signedIn();
    const bob = await signedIn();
    assert.deepEqual((await alice.get('/api/notes')).body, { notes: [] });
    const first = await create(alice, { title: 'one', body: '1' });
    const second = await create(alice, { title: 'two', body: '2' });
    await create(bob, { title: "bob's", body: 'secret' });

    const response = await alice.get('/api/notes');
    assert.equal(response.status, 200);
    const { notes } = response.body as { notes: Note[] };
    assert.deepEqual(notes.map((note) => note.id).sort(), [first.id, second.id].sort());
    assert.ok(!response.text.includes("bob's"));
  });

  test('GET /api/notes/:id: 200 {note}', async () => {
    const client = await signedIn();
    const note = await create(client, { title: 'read me', body: 'text' });
    const response = await client.get(`/api/notes/${note.id}`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { note });
  });

  test('PATCH /api/notes/:id: 200 {note} with the changes; a field left out is kept', async () => {
    const client = await signedIn();
    const note = await create(client, { title: 'draft', body: 'v1' });
    const titled = await client.patch(`/api/notes/${note.id}`, { title: 'final' });
    assert.equal(titled.status, 200);
    assert.deepEqual(Object.keys(titled.body as object), ['note']);
    const changed = (titled.body as { note: Note }).note;
    assert.equal(changed.id, note.id);
    assert.equal(changed.title, 'final');
    assert.equal(changed.body, 'v1');
    assert.equal(changed.createdAt, note.createdAt);
    assert.ok(Date.parse(changed.updatedAt) >= Date.parse(note.updatedAt));

    const bodied = (await client.patch(`/api/notes/${note.id}`, { body: '' })).body as { note: Note };
    assert.equal(bodied.note.title, 'final');
    assert.equal(bodied.note.body, '', 'an empty body is a change, not "no change"');
    assert.deepEqual((await client.get(`/api/notes/${note.id}`)).body, bodied);
  });

  test('DELETE /api/notes/:id: 204, then 404', async () => {
    const client = await signedIn();
    const note = await create(client, { title: 'bin me' });
    const response = await client.delete(`/api/notes/${note.id}`);
    assert.equal(response.status, 204);
    assert.equal(response.text, '');
    assertError(await client.get(`/api/notes/${note.id}`), 404, 'not_found');
    assertError(await client.delete(`/api/notes/${note.id}`), 404, 'not_found');
  });

  test("404 not_found for another user's note, on GET, PATCH and DELETE; the note is untouched", async () => {
    const owner = await signedIn();
    const intruder = await signedIn();
    const note = await create(owner, { title: 'private', body: 'mine' });

    assertError(await intruder.get(`/api/notes/${note.id}`), 404, 'not_found');
    assertError(await intruder.patch(`/api/notes/${note.id}`, { title: 'hacked' }), 404, 'not_found');
    assertError(await intruder.delete(`/api/notes/${note.id}`), 404, 'not_found');
    // Exactly the same answer as for a note that does not exist.
    const missing = await intruder.get('/api/notes/00000000-0000-4000-8000-000000000000');
    assertError(missing, 404, 'not_found');
    assert.deepEqual((await intruder.get(`/api/notes/${note.id}`)).body, missing.body);
    assert.deepEqual((await owner.get(`/api/notes/${note.id}`)).body, { note });
  });

  test('title 1-200 characters (trimmed), body up to 10,000: the limits are exact', async () => {
    const client = await signedIn();
    await create(client, { title: 't'.repeat(200), body: 'b'.repeat(10_000) });
    await create(client, { title: 'x' });
    const trimmed = await create(client, { title: '  padded  ' });
    assert.equal(trimmed.title, 'padded');

    for (const input of [
      { title: 't'.repeat(201) },
      { title: '' },
      { title: '   ' },
      { title: 'ok', body: 'b'.repeat(10_001) },
    ]) {
      assertError(await client.post('/api/notes', input), 400, 'invalid_request');
    }
    const note = await create(client, { title: 'to change' });
    for (const changes of [
      { title: 't'.repeat(201) },
      { title: '' },
      { title: ' ' },
      { body: 'b'.repeat(10_001) },
    ]) {
      assertError(await client.patch(`/api/notes/${note.id}`, changes), 400, 'invalid_request');
    }
    assert.deepEqual(
      (await client.get(`/api/notes/${note.id}`)).body,
      { note },
      'refused changes change nothing',
    );
  });

  test('400 invalid_request for missing, mistyped or unknown fields', async () => {
    const client = await signedIn();
    for (const input of [
      {},
      { body: 'no title' },
      { title: 1 },
      { title: null },
      { title: ['a'] },
      { title: { text: 'a' } },
      { title: 'ok', body: 5 },
      { title: 'ok', body: null },
      { title: 'ok', id: 'chosen-id' },
      { title: 'ok', userId: 'someone-else' },
      { title: 'ok', createdAt: '2000-01-01T00:00:00.000Z' },
    ]) {
      assertError(await client.post('/api/notes', input), 400, 'invalid_request');
    }
    const note = await create(client, { title: 'patch target' });
    for (const changes of [{}, { title: 5 }, { body: false }, { title: 'x', owner: 'y' }, { id: 'other' }]) {
      assertError(await client.patch(`/api/notes/${note.id}`, changes), 400, 'invalid_request');
    }
    assert.deepEqual((await client.get('/api/notes')).body, { notes: [note] });
  });

  test('401 unauthenticated on every notes route without a session', async () => {
    const owner = await signedIn();
    const note = await create(owner, { title: 'exists' });
    const anonymous = new ApiClient(app);
    assertError(await anonymous.get('/api/notes'), 401, 'unauthenticated');
    assertError(await anonymous.post('/api/notes', { title: 'x' }), 401, 'unauthenticated');
    assertError(await anonymous.get(`/api/notes/${note.id}`), 401, 'unauthenticated');
    assertError(await anonymous.patch(`/api/notes/${note.id}`, { title: 'x' }), 401, 'unauthenticated');
    assertError(await anonymous.delete(`/api/notes/${note.id}`), 401, 'unauthenticated');
    assert.deepEqual((await owner.get(`/api/notes/${note.id}`)).body, { note });
  });
});
