import { createServer, type AddressInfo } from 'node:net';
import { Cacheable, configureCache, RedisStore } from '/work/wt-obs/src/index.ts';
import { collectCacheMetrics } from '/work/wt-obs/src/prometheus/index.ts';
import { Registry } from 'prom-client';
async function main() {
  const port = await new Promise<number>((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const p = (server.address() as AddressInfo).port;
      server.close(() => resolve(p));
    });
  });
  const store = new RedisStore({ name: 'shared', connection: { port, host: '127.0.0.1', retryStrategy: () => 50 }, timeoutMs: 200, breaker: { failureThreshold: 2, cooldownMs: 3_600_000 } });
  const runtime = configureCache({ store, prefix: 'x', onError: () => undefined });
  const register = new Registry();
  collectCacheMetrics(runtime, { register });
  class Catalog { async get(id: string) { return id; } }
  const d = Object.getOwnPropertyDescriptor(Catalog.prototype, 'get')!;
  (Cacheable({ namespace: 'product', key: (id: string) => id }) as any)(Catalog.prototype, 'get', d);
  Object.defineProperty(Catalog.prototype, 'get', d);
  const c = new Catalog();
  while (store.client.status !== 'reconnecting') await new Promise((r) => setTimeout(r, 5));
  for (const id of ['k1', 'k2', 'k3']) console.log(await c.get(id));
  await register.metrics();
  await runtime.close();
  console.log('closed', store.client.status);
  setTimeout(() => {
    console.log((process as any)._getActiveHandles().map((h: any) => h.constructor.name + ' ' + (h._idleTimeout ?? '') + ' ' + (h._onTimeout?.toString().slice(0, 200) ?? '')));
  }, 1000).unref();
}
main();
