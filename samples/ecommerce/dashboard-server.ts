// `npm run demo -- --dashboard`: cachekit/dashboard on 127.0.0.1 while the workload runs.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CacheRuntime } from 'cachekit';
import { dashboard } from 'cachekit/dashboard';

/** A running dashboard: its URL (token included) and how to stop it. */
export interface DemoDashboard {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves the dashboard of `runtime` on 127.0.0.1:`port` (0: any free port) under `/cachekit/`,
 * behind a random token that the returned URL carries.
 */
export async function startDemoDashboard(runtime: CacheRuntime, port = 0): Promise<DemoDashboard> {
  const token = randomBytes(18).toString('base64url');
  const handler = dashboard(runtime, { token, refreshMs: 1_000 });
  const server = createServer((req, res) => {
    if (req.url?.startsWith('/cachekit/')) handler(req, res);
    else res.writeHead(302, { location: '/cachekit/' }).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}/cachekit/?token=${token}`,
    close: () => {
      handler.close();
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
