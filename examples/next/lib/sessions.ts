// The site's one session manager. Kept on globalThis so that every part of the server (pages, route
// handlers, server actions, proxy) shares it, whichever bundle Next.js loads it from. The memory store
// suits a one-process demo; a real site passes a shared store (`cloakroom/stores/redis`, `…/postgres`).
import { randomBytes } from 'node:crypto';
import { createSessionManager, type SessionManager } from 'cloakroom/session';
import { MemoryStore } from 'cloakroom/stores/memory';

export interface User {
  id: string;
}

const holder = globalThis as { cloakroomNextExample?: SessionManager<User> };

export const sessions: SessionManager<User> = (holder.cloakroomNextExample ??= createSessionManager<User>({
  store: new MemoryStore<User>(),
  origin: process.env.ORIGIN ?? 'http://localhost:3000',
  // A fresh key per start signs everyone out on restart; a real site loads its keys from a secret store.
  keys: [process.env.SESSION_KEY ?? randomBytes(32).toString('base64url')],
}));
