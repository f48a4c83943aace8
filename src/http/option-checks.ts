/**
 * Checks of the options of `cachekit/http` (a subpath uses cachekit's public API only, so it
 * carries its own copy of the duration rule: milliseconds, or `'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`).
 */
import type { Duration } from 'cachekit';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Quotes a value for an error message: strings in quotes, everything else by `String` plus its type. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  try {
    return `${JSON.stringify(value) ?? String(value)} (${value === null ? 'null' : typeof value})`;
  } catch {
    return `${String(value)} (${typeof value})`;
  }
}

/** Milliseconds of a duration. @throws TypeError naming `path` and quoting the value */
export function durationMs(value: unknown, path: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match) return Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  throw new TypeError(`${path}: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got ${quote(value)}`);
}

/** `value` as a Duration, checked. */
export function checkDuration(value: unknown, path: string): Duration {
  durationMs(value, path);
  return value as Duration;
}

/** @throws TypeError naming the unknown option names and listing the known ones */
export function checkKnownOptions(where: string, options: object, known: readonly string[]): void {
  const unknown = Object.keys(options).filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new TypeError(`${where}: unknown option${unknown.length > 1 ? 's' : ''} ${unknown.map((n) => `'${n}'`).join(', ')}; known options: ${known.join(', ')}`);
  }
}
