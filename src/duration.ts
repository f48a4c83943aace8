/** A duration: milliseconds when a number, or a string such as `'500ms'`, `'30s'`, `'5m'`, `'1h'`, `'1d'`. Never seconds. */
export type Duration = number | `${number}${'ms' | 's' | 'm' | 'h' | 'd'}`;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/** Quotes a value for an error message: strings in quotes, everything else by `String` plus its type. */
export function quote(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (typeof value === 'bigint') return `${value}n (bigint)`;
  try {
    return `${JSON.stringify(value) ?? String(value)} (${value === null ? 'null' : typeof value})`;
  } catch {
    return `${String(value)} (${typeof value})`;
  }
}

/**
 * Parses a duration into milliseconds.
 * @throws TypeError naming `option` and quoting the value when it is negative, not finite or not a duration string.
 */
export function parseDuration(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const match = DURATION.exec(value.trim());
    if (match) return Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  throw new TypeError(
    `${option}: expected milliseconds (a number >= 0) or a duration string like '30s', '5m', '1h'; got ${quote(value)}`,
  );
}
