import { quote } from './duration.js';

/**
 * Rejects options that are not an object, and any option name `owner` does not know (a typo
 * such as `tll`), with a TypeError that names the owner. Every options object is checked here.
 * @returns the options (an empty object for undefined)
 */
export function checkKnownOptions(owner: string, options: unknown, allowed: readonly string[]): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new TypeError(`${owner}: options must be an object; got ${quote(options)}`);
  }
  for (const name of Object.keys(options)) {
    if (!allowed.includes(name)) throw new TypeError(`${owner}: unknown option '${name}' (known: ${allowed.join(', ')})`);
  }
  return options as Record<string, unknown>;
}
