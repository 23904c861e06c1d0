// Traces over real HTTP: with CLOAKROOM_TRACING=on and an OpenTelemetry SDK registered in the process (an
// in-memory exporter), one signed-in request produces its validation span with the store read as its child,
// a sign-in produces its span, and no span attribute carries the password, the cookie or the token.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';
import { startTestApp, type TestApp } from '../../helpers/app.js';
import { ApiClient, uniqueEmail } from '../api/client.js';

const PASSWORD = 'traces test password 42';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

function named(spans: ReadableSpan[], name: string): ReadableSpan[] {
  return spans.filter((span) => span.name === name);
}

/** Every attribute value of every span, as text. */
function attributeText(spans: ReadableSpan[]): string {
  return spans.map((span) => JSON.stringify({ attributes: span.attributes, status: span.status })).join('\n');
}

describe('spans of the site (CLOAKROOM_TRACING=on)', () => {
  let app: TestApp;
  before(async () => {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    trace.setGlobalTracerProvider(provider);
    app = await startTestApp({ env: { CLOAKROOM_TRACING: 'on' } });
  });
  after(async () => {
    await app.stop();
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  test('one signed-in request: the validation span, its store read as a child, user and public session id only', async () => {
    const client = new ApiClient(app);
    const email = uniqueEmail('traces');
    const user = await client.register(email, PASSWORD);
    const cookie = client.cookie ?? '';
    exporter.reset();

    assert.equal((await client.get('/api/me')).status, 200);
    const spans = exporter.getFinishedSpans();
    const [validate] = named(spans, 'cloakroom.session.validate');
    assert.ok(validate !== undefined, `a validation span among ${spans.map((span) => span.name).join(', ')}`);
    assert.equal(named(spans, 'cloakroom.session.validate').length, 1);
    assert.equal(validate.attributes['cloakroom.session.outcome'], 'valid');
    assert.equal(validate.attributes['enduser.id'], user.id);
    const sessionId = cookie.split('.')[0];
    assert.equal(validate.attributes['cloakroom.session.id'], sessionId);

    const [read] = named(spans, 'cloakroom.store.get');
    assert.ok(read !== undefined, 'a store read span');
    assert.equal(read.attributes['cloakroom.store.backend'], 'sqlite');
    assert.equal(read.spanContext().traceId, validate.spanContext().traceId);
    assert.equal(
      read.parentSpanContext?.spanId,
      validate.spanContext().spanId,
      'the read is the validation’s child',
    );

    const text = attributeText(spans);
    for (const secret of [PASSWORD, cookie, cookie.split('.')[1] ?? cookie, email]) {
      assert.equal(text.includes(secret), false, 'a span attribute carries a secret');
    }
  });

  test('a sign-in: its span with the session write inside, and token issuance', async () => {
    const email = uniqueEmail('traces');
    await new ApiClient(app).register(email, PASSWORD);
    const client = new ApiClient(app);
    exporter.reset();
    const signedIn = await client.post('/api/auth/login', { email, password: PASSWORD });
    assert.equal(signedIn.status, 200);
    let spans = exporter.getFinishedSpans();
    const [check] = named(spans, 'cloakroom.accounts.verify_credentials');
    assert.ok(
      check !== undefined,
      `a password check span among ${spans.map((span) => span.name).join(', ')}`,
    );
    const [signIn] = named(spans, 'cloakroom.session.sign_in');
    assert.ok(signIn !== undefined, 'a sign-in span');
    assert.equal(signIn.attributes['cloakroom.sign_in.method'], 'password');
    assert.equal(signIn.attributes['enduser.id'], check.attributes['enduser.id']);
    assert.equal(signIn.attributes['cloakroom.session.id'], (client.cookie ?? '').split('.')[0]);
    const [create] = named(spans, 'cloakroom.store.create');
    assert.equal(
      create?.parentSpanContext?.spanId,
      signIn.spanContext().spanId,
      'the session write is inside',
    );
    exporter.reset();
    const tokens = await client.post('/api/tokens', {});
    assert.equal(tokens.status, 201);
    spans = exporter.getFinishedSpans();
    const [issue] = named(spans, 'cloakroom.tokens.issue');
    assert.equal(issue?.attributes['cloakroom.grant'], 'session');
    const { access_token: accessToken, refresh_token: refreshToken } = tokens.body as Record<string, string>;
    const text = attributeText(spans);
    for (const secret of [PASSWORD, accessToken, refreshToken, client.cookie ?? PASSWORD]) {
      assert.equal(text.includes(secret ?? PASSWORD), false, 'a span attribute carries a secret');
    }
  });
});
