/**
 * The campaign's own cache redis-server: started through the e2e fixture, but with an
 * append-only file fsynced on every write in a directory of its own, so a SIGKILL and restart
 * (on the same port) keeps what Redis acknowledged, the durable write-behind journal included,
 * as a production Redis configured for durability does. Paused, killed and restarted by pid only.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../e2e/fixtures/redis-servers.js';

/** A restartable redis-server with a durable append-only file. */
export class CacheServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'cachekit-campaign-'));
  port = 0;
  pid = 0;
  paused = false;
  running = false;

  /** Starts the server (on its previous port after a kill). */
  start(): void {
    const server = startServer(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir], this.port || undefined);
    rmSync(server.dir, { recursive: true, force: true }); // the fixture's own directory stays unused
    this.port = server.port;
    this.pid = server.pid;
    this.running = true;
    this.paused = false;
  }

  private signal(sig: NodeJS.Signals): void {
    try {
      process.kill(this.pid, sig);
    } catch {
      // already gone
    }
  }

  /** SIGSTOP: connections stay open, nothing answers. */
  pause(): void {
    this.signal('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT after {@link pause}. */
  resume(): void {
    this.signal('SIGCONT');
    this.paused = false;
  }

  /** SIGKILL, then waits until the process is gone (its files stay for the restart). */
  kill(): void {
    this.signal('SIGCONT');
    this.signal('SIGKILL');
    const deadline = Date.now() + 5_000;
    while (Date.now() < deadline) {
      try {
        process.kill(this.pid, 0);
      } catch {
        break;
      }
      spawnSync('sleep', ['0.02']);
    }
    this.running = false;
    this.paused = false;
  }

  /** Runs redis-cli against the server; returns its trimmed output. */
  cli(...args: string[]): string {
    return spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(this.port), ...args], { encoding: 'utf8' }).stdout.trim();
  }

  /** Kills the server and removes its files. */
  stop(): void {
    if (this.running) this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
