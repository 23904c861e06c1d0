// The registration throttle counts per client address in the shared store, and with CLOAKROOM_STORE=redis://…
// that is the machine's Redis, which outlives a test run: every site the tests start registers from the
// loopback address, so the suite run three times within the hour (CI's Node 20, 24 and 22 legs) would find
// the previous runs' registrations still counted and get 429s. Each test that starts a site on Redis forgets
// the loopback registration counters first, as a fresh machine would have none. Only those keys are touched.
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

const LOOPBACK = ['127.0.0.1', '::1', '::ffff:127.0.0.1'];

/** Deletes the site's registration counters (`cr:a:r:<sha256(ip)>`) of the loopback addresses in `redisUrl`. */
export async function forgetLoopbackRegistrations(redisUrl: string): Promise<void> {
  const client = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await client.connect();
    const keys = LOOPBACK.map((ip) => `cr:a:r:${createHash('sha256').update(ip).digest('base64url')}`);
    await client.del(...keys);
  } finally {
    client.disconnect();
  }
}
