import { redirect } from 'next/navigation';
import { getSession } from 'cloakroom/next';
import { sessions } from '../../lib/sessions';
import { signOut } from '../actions';

export const dynamic = 'force-dynamic';

// The protected page. proxy.ts sends visitors without a signed cookie away before rendering, but only this
// read (a store lookup) knows whether the session is still alive: a page never trusts the proxy alone.
export default async function Dashboard() {
  const { user, session } = await getSession(sessions);
  if (user === null || session === null) redirect('/');
  const listed = await sessions.listUserSessions(user.id);
  return (
    <main>
      <h1>Dashboard</h1>
      <p id="welcome">Welcome, {user.id}.</p>
      <p>
        Signed in since {new Date(session.createdAt).toISOString()}; {listed.length} active session(s).
      </p>
      <form action={signOut}>
        <button type="submit">Sign out</button>
      </form>
    </main>
  );
}
