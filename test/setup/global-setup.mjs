// Jest global setup: one real redis-server for the whole run, unless REDIS_URL names one.
// With neither, the run fails with the install hint (never skips).
import { startRedisServer } from './redis-server.mjs';

export default async function globalSetup() {
  if (process.env.REDIS_URL) return;
  const server = await startRedisServer();
  process.env.REDIS_URL = `redis://127.0.0.1:${server.port}`;
  globalThis.__cachekitRedis = server;
}
