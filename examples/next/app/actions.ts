'use server';
// Server actions: Next.js checks their Origin against the host; actionSession adds Cloakroom's own check.
import { redirect } from 'next/navigation';
import { actionSession } from 'cloakroom/next';
import { sessions } from '../lib/sessions';

export async function signOut(): Promise<void> {
  const session = await actionSession(sessions);
  await session.signOut();
  redirect('/');
}
