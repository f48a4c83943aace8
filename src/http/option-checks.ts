/**
 * Checks of the options of `cachekit/http`, on cachekit's own duration rule and quoting
 * (`parseDuration`, `quote`: public, since a subpath uses the public API only).
 */
import { parseDuration, quote, type Duration } from 'cachekit';

export { quote };

/** Milliseconds of a duration: cachekit's own rule (`parseDuration`). @throws TypeError naming `path` and quoting the value */
export const durationMs = parseDuration;

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
