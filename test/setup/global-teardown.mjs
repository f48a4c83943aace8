// Jest global teardown: stops the redis-server that global setup started (by its pid).
export default async function globalTeardown() {
  globalThis.__cachekitRedis?.stop();
}
