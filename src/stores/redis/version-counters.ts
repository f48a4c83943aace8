/**
 * Namespace and tag version counters in Redis: opaque integers. A counter a read finds missing
 * (never bumped, deleted, evicted) is created at a random base ({@link counterBase}) by a
 * script that leaves a counter another instance created meanwhile, so a lost counter never
 * reads as a value it had before, and entries written under it stay stale. (Copies of the
 * counters, kept exact by Redis's announcements, are `version-mirror.ts`.)
 */

import type { Redis } from 'ioredis';
import type { ScriptClient } from './lua-script.js';
import type { CommandSender } from './command-sender.js';
import { BUMP, START_COUNTERS } from './store-scripts.js';

/**
 * Where a counter starts when it is created (first read or bump, or after Redis lost it): a
 * random integer in [2^51, 2^52), so a counter that starts again never repeats a value it had
 * before (the chance is the number of its bumps in 2^51), and 2^52 bumps fit below 2^53.
 */
export function counterBase(): number {
  return 0x8000000000000 + Math.floor(Math.random() * 0x8000000000000);
}

/** Parses a counter value (ASCII digits) read as bytes; 0 when absent. */
export function parseCounter(data: Buffer | null): number {
  if (data === null) return 0;
  let n = 0;
  let i = 0;
  const negative = data[0] === 45; // '-'
  if (negative) i = 1;
  for (; i < data.length; i++) {
    const d = data[i]! - 48;
    if (d < 0 || d > 9) return Number(data.toString('latin1')) || 0;
    n = n * 10 + d;
  }
  return negative ? -n : n;
}

/** The counters of a RedisStore: their reads on a Cluster, their creation and their bumps. */
export class VersionCounters {
  private readonly scripts: ScriptClient;

  constructor(
    private readonly sender: CommandSender,
    private readonly client: Redis,
    private readonly isCluster: boolean,
  ) {
    // ioredis's typings omit the *Buffer eval methods it has
    this.scripts = client as unknown as ScriptClient;
  }

  /**
   * Values for counters a read found missing (`read[i]` null): created at a random base (see
   * the file comment); the others parsed from `read`.
   */
  start(versionKeys: readonly string[], read: ReadonlyArray<Buffer | null>): Promise<number[]> {
    const missing: string[] = [];
    for (let i = 0; i < versionKeys.length; i++) if (read[i] === null) missing.push(versionKeys[i]!);
    const scripts = this.scripts;
    const send = this.isCluster
      ? () => Promise.all(missing.map((k) => START_COUNTERS.run(scripts, [k], [String(counterBase())]).then((r) => (r as Buffer[])[0]!)))
      : () => START_COUNTERS.run(scripts, missing, missing.map(() => String(counterBase()))) as Promise<Buffer[]>;
    return this.sender.send(send, (values: Buffer[]) => {
      let at = 0;
      return versionKeys.map((_, i) => (read[i] === null ? parseCounter(values[at++]!) : parseCounter(read[i]!)));
    });
  }

  /**
   * The counters `versionKeys` read from Redis as `read[from]`, `read[from + 1]`, ...: parsed,
   * or, when one is missing, a promise of them with the missing ones created (see {@link start}).
   */
  parse(versionKeys: readonly string[], read: ReadonlyArray<Buffer | null>, from = 0): number[] | Promise<number[]> {
    const versions = new Array<number>(versionKeys.length);
    for (let i = 0; i < versions.length; i++) {
      const data = read[from + i]!;
      if (data === null) return this.start(versionKeys, from === 0 ? read : read.slice(from));
      versions[i] = parseCounter(data);
    }
    return versions;
  }

  /** On a Cluster: each counter by its own `GET` (they may live in different hash slots), in parallel. */
  readOnCluster(versionKeys: readonly string[]): Promise<readonly number[]> {
    const c = this.client;
    return this.sender.send(
      () => Promise.all(versionKeys.map((k) => c.getBuffer(k))),
      (all: Array<Buffer | null>) => this.parse(versionKeys, all),
    ) as Promise<readonly number[]>;
  }

  /** Increments each counter (creating a missing one at a random base first). @returns their new values */
  bump(versionKeys: readonly string[]): Promise<number[]> {
    const scripts = this.scripts;
    // One script per key on a Cluster (the keys may live in different hash slots).
    if (this.isCluster) {
      return this.sender.send(() => Promise.all(versionKeys.map((k) => BUMP.run(scripts, [k], [String(counterBase())]).then((r) => (r as number[])[0]!))));
    }
    return this.sender.send(
      () => BUMP.run(scripts, versionKeys, versionKeys.map(() => String(counterBase()))),
      (values) => values as number[],
    );
  }
}
