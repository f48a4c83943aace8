import { CircuitBreaker } from '../stores/redis/circuit-breaker.js';
import type { CacheStore } from '../cache-store.js';
import { escapeSegment } from '../stores/key-layout.js';
import { WRITE_BEHIND_DEFAULTS } from '../defaults.js';
import type { JournalConnection } from './journal-commands.js';
import type { JournalClient } from './journal-scripts.js';

/** The Redis client of a store, if it has one (RedisStore and TieredStore expose `client`). */
export function journalClientOf(store: unknown): JournalClient | undefined {
  const client = (store as { client?: unknown } | null)?.client as Partial<JournalClient> | undefined;
  return client !== undefined && client !== null && typeof client.evalshaBuffer === 'function' ? (client as JournalClient) : undefined;
}

/**
 * What a journal's commands run under: the store's client, deadline (`timeoutMs`) and circuit
 * breaker (a RedisStore's own, a TieredStore's L2's), so the journal fails as fast as the store
 * does; a store with a client but neither gets a breaker of its own and a 500 ms deadline.
 */
export function journalConnectionOf(store: CacheStore, client: JournalClient): JournalConnection {
  type Remote = { timeoutMs?: unknown; breaker?: unknown; name?: unknown };
  const candidates = [store as unknown as Remote, (store as unknown as { l2?: Remote }).l2];
  for (const c of candidates) {
    if (c !== undefined && c !== null && c.breaker instanceof CircuitBreaker && typeof c.timeoutMs === 'number') {
      return { client, timeoutMs: c.timeoutMs, breaker: c.breaker, name: String(c.name ?? store.name) };
    }
  }
  return { client, timeoutMs: WRITE_BEHIND_DEFAULTS.journalTimeoutMs, breaker: new CircuitBreaker(), name: store.name };
}

/**
 * The default journal stream of a method: `<prefix>#wb:{Class.method}`, or with an explicit
 * namespace `<prefix>#wb:{<namespace>/Class.method}`, so that classes of one name in different
 * namespaces never share a journal, and a restarted process finds its own.
 */
export function defaultJournalStream(prefix: string, method: string, namespace: string): string {
  const tag = namespace === method ? method : `${namespace}/${method}`;
  return `${escapeSegment(prefix)}#wb:{${tag}}`;
}
