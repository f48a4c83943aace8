import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DashboardHandler } from 'cachekit/dashboard';

/** A dashboard handler served by a plain Node `http` server on 127.0.0.1, under `/cachekit/`. */
export async function serve(handler: DashboardHandler): Promise<{ base: string; server: Server; close: () => Promise<void> }> {
  const server = createServer((req, res) => {
    // the browser asks for /favicon.ico after the 401 page (which has no icon of its own)
    if (req.url === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (!req.url?.startsWith('/cachekit')) {
      res.writeHead(404).end();
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}/cachekit/`,
    server,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
