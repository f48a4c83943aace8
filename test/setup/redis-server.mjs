// Starts and stops a private redis-server on a free loopback port, for tests and benchmarks.
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const INSTALL_HINT =
  'redis-server was not found. Install it (Debian/Ubuntu: apt-get install -y redis-server) or set REDIS_URL to a Redis you own.';

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Whether redis-server is on the PATH. */
export function hasRedisServer() {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Starts `redis-server` on a free loopback port (extra args appended) and waits until it answers.
 * @returns { port, pid, dir, stop() }
 */
export async function startRedisServer(extraArgs = [], port) {
  if (!hasRedisServer()) throw new Error(INSTALL_HINT);
  port ??= await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cachekit-redis-'));
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs],
    { stdio: 'ignore', detached: false },
  );
  child.unref();
  await waitForPing(port);
  return {
    port,
    pid: child.pid,
    dir,
    stop() {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until a redis-server on `port` answers PING (10 s at most). */
export async function waitForPing(port, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), 'ping'], { encoding: 'utf8' });
    if (r.stdout?.trim() === 'PONG') return;
    await new Promise((res) => setTimeout(res, 50));
  }
  throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
}
