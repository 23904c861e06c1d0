import Link from 'next/link';
import { getSession } from 'cloakroom/next';
import { sessions } from '../lib/sessions';
import { signOut } from './actions';

// Reads cookies: rendered per request.
export const dynamic = 'force-dynamic';

export default async function Home() {
  const { user } = await getSession(sessions);
  if (user !== null) {
    return (
      <main>
        <h1>Cloakroom on Next.js</h1>
        <p id="status">Signed in as {user.id}.</p>
        <p>
          <Link href="/dashboard">Your dashboard</Link>
        </p>
        <form action={signOut}>
          <button type="submit">Sign out</button>
        </form>
      </main>
    );
  }
  return (
    <main>
      <h1>Cloakroom on Next.js</h1>
      <p id="status">Signed out.</p>
      {/* A plain form post to a route handler: it works before any JavaScript has loaded. */}
      <form action="/api/sign-in" method="post">
        <label>
          Name <input name="name" required pattern="[\w.@-]{1,64}" autoComplete="username" />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </main>
  );
}
