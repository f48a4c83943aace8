/**
 * The read policy of a cached method: its resilient-read options (`grace`, `graceBackoff`,
 * `timeout`, `hardTimeout`, `refreshAhead`, `nullTtl`) and an adaptive `ttl`, checked where they
 * are written and resolved once per method and runtime into milliseconds (method option, then
 * @CacheDefaults, then `configureCache`, then src/defaults.ts).
 */
import { parseDuration, quote } from '../duration.js';
import type { ResilientReadOptions } from '../options/resilient-reads.js';
import type { TtlFunction } from '../options/cacheable.js';
import { RESILIENT_READ_DEFAULTS } from '../defaults.js';

/** The names of {@link ResilientReadOptions}, for the lists of known options. */
export const RESILIENT_READ_OPTIONS = ['grace', 'graceBackoff', 'timeout', 'hardTimeout', 'refreshAhead', 'nullTtl'] as const satisfies readonly (keyof ResilientReadOptions)[];

/**
 * Checks the resilient-read options of one level (`label` is `'@Cacheable'`, `'configureCache'`...).
 * @throws TypeError naming the option and quoting the value
 */
export function checkResilientReads(label: string, o: Record<string, unknown>): void {
  for (const name of ['grace', 'graceBackoff', 'timeout', 'hardTimeout', 'nullTtl'] as const) {
    if (o[name] !== undefined) parseDuration(o[name], `${label}: ${name}`);
  }
  const ratio = o.refreshAhead;
  if (ratio !== undefined && (typeof ratio !== 'number' || !(ratio >= 0 && ratio < 1))) {
    throw new TypeError(`${label}: refreshAhead must be a fraction of the TTL, >= 0 and < 1 (0.8 reloads after 80% of it); got ${quote(ratio)}`);
  }
  if (o.timeout !== undefined && o.hardTimeout !== undefined) {
    const soft = parseDuration(o.timeout, `${label}: timeout`);
    const hard = parseDuration(o.hardTimeout, `${label}: hardTimeout`);
    if (soft > 0 && hard > 0 && soft > hard) {
      throw new TypeError(`${label}: timeout (${quote(o.timeout)}) must not be longer than hardTimeout (${quote(o.hardTimeout)})`);
    }
  }
}

/** A method's read policy in milliseconds (0: off). */
export interface ReadPolicy {
  readonly graceMs: number;
  readonly graceBackoffMs: number;
  readonly timeoutMs: number;
  readonly hardTimeoutMs: number;
  /** Fraction of the TTL after which a hit reloads in the background; 0: never. */
  readonly refreshAhead: number;
  /** TTL of null/undefined results; undefined: the entry's TTL. */
  readonly nullTtlMs: number | undefined;
  /** Whether entries carry their stale-after time (grace or refresh-ahead is on). */
  readonly timed: boolean;
}

/**
 * Resolves a method's read policy: each option from the first level that sets it, `levels` in
 * order (method options, class defaults, runtime), then the defaults.
 */
export function resolveReadPolicy(method: string, levels: ReadonlyArray<ResilientReadOptions | undefined>): ReadPolicy {
  const pick = <K extends keyof ResilientReadOptions>(name: K): ResilientReadOptions[K] | undefined => {
    for (const level of levels) if (level?.[name] !== undefined) return level[name];
    return undefined;
  };
  const ms = (name: 'grace' | 'graceBackoff' | 'timeout' | 'hardTimeout') => parseDuration(pick(name) ?? RESILIENT_READ_DEFAULTS[name], `${method}: ${name}`);
  const nullTtl = pick('nullTtl');
  const graceMs = ms('grace');
  const refreshAhead = pick('refreshAhead') ?? RESILIENT_READ_DEFAULTS.refreshAhead;
  return {
    graceMs,
    graceBackoffMs: ms('graceBackoff'),
    timeoutMs: ms('timeout'),
    hardTimeoutMs: ms('hardTimeout'),
    refreshAhead,
    nullTtlMs: nullTtl === undefined ? undefined : parseDuration(nullTtl, `${method}: nullTtl`),
    timed: graceMs > 0 || refreshAhead > 0,
  };
}

/**
 * The TTL of one result in ms: `nullTtl` for null/undefined, else the adaptive `ttl` function's
 * answer, else `ttlMs`.
 * @throws TypeError when the adaptive function throws or returns no duration
 */
export function ttlOfResult(method: string, policy: ReadPolicy, ttlMs: number, ttlFunction: TtlFunction | undefined, value: unknown, args: readonly unknown[]): number {
  if (value == null && policy.nullTtlMs !== undefined) return policy.nullTtlMs;
  if (ttlFunction === undefined) return ttlMs;
  let answer: unknown;
  try {
    answer = ttlFunction(value, ...args);
  } catch (error) {
    throw new TypeError(`${method}: the ttl function threw: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
  return parseDuration(answer, `${method}: ttl (returned by the ttl function)`);
}
