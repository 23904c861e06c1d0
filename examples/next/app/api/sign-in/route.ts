// A route handler: Cloakroom's cross-site checks run first (a sign-in posted from another site is 403
// csrf_rejected), then the form is read and the user signed in with a brand-new session.
import { routeHandler } from 'cloakroom/next';
import { sessions } from '../../../lib/sessions';

export const POST = routeHandler(sessions, async (request, session) => {
  const form = await request.formData().catch(() => null);
  const name = form?.get('name');
  if (typeof name !== 'string' || !/^[\w.@-]{1,64}$/.test(name)) {
    return Response.json(
      { error: { code: 'invalid_request', message: 'name is required' } },
      { status: 400 },
    );
  }
  // Demo only: a real site checks a password first (see cloakroom/accounts).
  await session.signIn(name);
  return new Response(null, { status: 303, headers: { location: '/dashboard' } });
});
