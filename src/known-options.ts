import { quote } from './duration.js';

/**
 * Rejects options that are not an object, and any option name `owner` does not know (a typo
 * such as `tll`), with a TypeError that names the owner. Every options object is checked here.
 * @param path where a nested options object sits (`'batch'`): errors name `batch` and `batch.interval`
 * @returns the options (an empty object for undefined)
 */
export function checkKnownOptions(owner: string, options: unknown, allowed: readonly string[], path?: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    const shape = path === undefined ? 'options' : `${path} must be an object like { ${allowed.join(', ')} }; got`;
    throw new TypeError(path === undefined ? `${owner}: ${shape} must be an object; got ${quote(options)}` : `${owner}: ${shape} ${quote(options)}`);
  }
  const prefix = path === undefined ? '' : `${path}.`;
  for (const name of Object.keys(options)) {
    if (!allowed.includes(name)) {
      throw new TypeError(`${owner}: unknown option '${prefix}${name}' (known: ${allowed.map((a) => prefix + a).join(', ')})`);
    }
  }
  return options as Record<string, unknown>;
}

/**
 * Compiles only when `Missing` is `never`. Next to a list of known option names (which itself
 * `satisfies readonly (keyof Options)[]`, so it names no unknown option), assert that it forgets
 * none: `type _EveryCacheableOption = NoneMissing<Exclude<keyof CacheableOptions, (typeof
 * CACHEABLE_OPTIONS)[number]>>` fails to compile, naming the option, when the interface gains an
 * option the list lacks.
 */
export type NoneMissing<Missing extends never> = Missing;
