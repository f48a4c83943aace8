import { createHash } from 'node:crypto';
import { KeyBuildError } from '../errors.js';
import { quote } from '../duration.js';
import { encodeArgs, encodeValue } from './stable-encoding.js';
import { InternedKeys } from './interned-keys.js';

/**
 * The one key builder every decorator uses, so that `@Cacheable`, `@WriteThrough`,
 * `@Invalidate` and `@WriteBehind` with the same namespace and key address the same entry.
 *
 * Layout: `prefix:namespace:key` for entries, `prefix#n:namespace` for namespace versions,
 * `prefix#t:tag` for tag versions and `prefix#l:namespace:key` for distributed miss locks. `%`, `:`, `#` are percent-escaped in the prefix and the
 * namespace, so no namespace can produce another one's keys. A key longer than
 * {@link MAX_KEY_LENGTH} is replaced by its SHA-256 as `prefix:namespace#<hash>`, which no
 * plain key can equal (plain keys follow a `:`).
 */

/** Key parts longer than this many characters are hashed. */
export const MAX_KEY_LENGTH = 200;

/** A key option: a function of the method's arguments, or a template such as `'user:{0}'` or `'{0.id}'`. */
export type KeyOption<A extends unknown[] = any[]> = ((...args: A) => KeyPart | readonly KeyPart[]) | string;

/** What a key function may return: one key, or (for `@Invalidate`) several. */
export type KeyPart = string | number;

/** Escapes a prefix or namespace so it cannot contain the separators. */
export function escapeSegment(segment: string): string {
  return /[%:#]/.test(segment) ? segment.replace(/[%:#]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`) : segment;
}

/** The start of every entry key of a namespace: `prefix:namespace`. */
export function namespaceBase(prefix: string, namespace: string): string {
  return `${escapeSegment(prefix)}:${escapeSegment(namespace)}`;
}

/** The full key of an entry from its namespace base and key part. */
export function entryKey(base: string, key: string): string {
  if (key.length > MAX_KEY_LENGTH) return `${base}#${createHash('sha256').update(key).digest('base64url')}`;
  const full = `${base}:${key}`;
  // A concatenation is a rope; reading a character flattens it once here, so the store's map
  // hashes and compares a flat string (a rope key makes a memory hit ~40% slower).
  return full.charCodeAt(0) === -1 ? key : full;
}

/** What follows the escaped prefix in a namespace version key. */
const NAMESPACE_VERSION = '#n:';
/** What follows the escaped prefix in a tag version key. */
const TAG_VERSION = '#t:';
/** What follows the escaped prefix in version counter keys: namespace versions, then tag versions. */
export const VERSION_KEY_MARKERS: readonly string[] = [NAMESPACE_VERSION, TAG_VERSION];

/** What follows the escaped prefix in the key of a distributed miss lock. */
export const LOCK_KEY_MARKER = '#l:';

/**
 * The key of the distributed lock of an entry: `prefix#l:` and what follows the prefix in the
 * entry's key. The escaped prefix has no `:` nor `#`, so the entry's first `:` ends it, and
 * no entry key (`prefix:...`) or version key (`prefix#n:`, `prefix#t:`) can equal a lock key.
 */
export function lockKey(entryKey: string): string {
  const at = entryKey.indexOf(':');
  return at < 0 ? `${LOCK_KEY_MARKER}${entryKey}` : `${entryKey.slice(0, at)}${LOCK_KEY_MARKER}${entryKey.slice(at + 1)}`;
}

/** The counter that versions a namespace. */
export function namespaceVersionKey(prefix: string, namespace: string): string {
  return `${escapeSegment(prefix)}${NAMESPACE_VERSION}${escapeSegment(namespace)}`;
}

/**
 * The counter that versions the namespace of an entry key (`prefix:namespace:key` or
 * `prefix:namespace#hash`): bumping it invalidates that entry with the rest of its namespace.
 * The escaped prefix and namespace contain no `:` nor `#`, so the first `:` and the next `:`
 * or `#` bound them. @returns undefined for a key that is not an entry key
 */
export function namespaceVersionKeyOf(entryKey: string): string | undefined {
  const start = entryKey.indexOf(':');
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < entryKey.length && entryKey[end] !== ':' && entryKey[end] !== '#') end++;
  if (end === entryKey.length) return undefined;
  return `${entryKey.slice(0, start)}${NAMESPACE_VERSION}${entryKey.slice(start + 1, end)}`;
}

/** The counter that versions a tag. */
export function tagVersionKey(prefix: string, tag: string): string {
  return `${escapeSegment(prefix)}${TAG_VERSION}${tag}`;
}

/** The escaped prefix of a version counter key (what precedes its marker), or undefined for any other key. */
export function versionKeyScope(key: string): string | undefined {
  const at = key.indexOf('#');
  // an escaped prefix has no ':', so a '#' after a ':' belongs to an entry's key part
  if (at <= 0 || key.lastIndexOf(':', at) !== -1) return undefined;
  return key.startsWith(NAMESPACE_VERSION, at) || key.startsWith(TAG_VERSION, at) ? key.slice(0, at) : undefined;
}

/** Turns the arguments of a call into the full key(s) of its entry. */
export type KeyFunction = (args: readonly unknown[]) => string | string[];

/** How many full keys one method remembers for its most common key parts before starting over. */
const INTERNED_LIMIT = 10_000;

/**
 * Compiles a key option into a function from a call's arguments to full keys under `base`
 * (see {@link namespaceBase}). Without an option, the key is the stable encoding of every
 * argument. Full keys built from a single string or number (a key function's result, or a
 * lone argument) are remembered, so a repeated key costs one map lookup instead of an
 * encoding, a concatenation and the hashing of a fresh long string on every hit.
 * @param many whether the key function may return several keys (`@Invalidate`)
 */
export function compileKey(option: KeyOption | undefined, base: string, many = false): KeyFunction {
  const interned = new InternedKeys(INTERNED_LIMIT);
  const fromArgument = (arg: string | number): string => entryKey(base, encodeValue(arg));
  const fromPart = (part: string | number): string => entryKey(base, String(part));
  if (option === undefined) {
    return (args) => {
      if (args.length === 1) {
        const arg = args[0];
        if (typeof arg === 'string' || typeof arg === 'number') return interned.get(arg, fromArgument);
      }
      return entryKey(base, encodeArgs(args));
    };
  }
  if (typeof option === 'string') {
    const template = compileTemplate(option);
    return (args) => entryKey(base, template(args));
  }
  return (args) => {
    let result: unknown;
    try {
      result = option(...args);
    } catch (error) {
      throw new KeyBuildError(`key function threw: ${(error as Error)?.message ?? String(error)}`, { cause: error });
    }
    if (typeof result === 'string' || (typeof result === 'number' && Number.isFinite(result))) return interned.get(result, fromPart);
    if (many && Array.isArray(result) && result.every((k) => typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k)))) {
      return result.map((k) => entryKey(base, String(k)));
    }
    throw new KeyBuildError(
      `key function must return a string or a finite number${many ? ' (or an array of them: several keys)' : ''}; got ${quote(result)}` +
        (Array.isArray(result) && !many ? "; to build one key from several parts use a template like '{0}:{1}' (its parts are escaped)" : ''),
    );
  };
}

/** One `{index.path}` placeholder of a key template. */
export interface TemplatePlaceholder {
  /** The placeholder as written, e.g. `{0.id}`. */
  readonly text: string;
  /** The argument it reads. */
  readonly index: number;
  /** The property path below the argument (`['id']` for `{0.id}`). */
  readonly path: readonly string[];
}

/** A parsed key template: literal text and placeholders, alternating (it starts and ends with text). */
export interface ParsedTemplate {
  readonly literals: readonly string[];
  readonly placeholders: readonly TemplatePlaceholder[];
}

const TEMPLATE_TOKEN = /\{\{|\}\}|\{([^{}]*)\}|[{}]/g;
const PLACEHOLDER_BODY = /^(\d+)((?:\.[\w$]+)*)$/;

/**
 * Parses a key template such as `'user:{0}'`, `'{0.id}:{1}'` (`{{` and `}}` are literal braces).
 * @throws TypeError for an unknown placeholder (`{x}`, `{}`), a stray brace, two placeholders
 * with nothing between them, or text between placeholders that starts with a letter, a digit or
 * `%` (it must start with a separator such as `:`, `-`, `/`, so the inserted values can be escaped)
 */
export function parseTemplate(template: string): ParsedTemplate {
  const literals: string[] = [];
  const placeholders: TemplatePlaceholder[] = [];
  let text = '';
  let last = 0;
  for (const match of template.matchAll(TEMPLATE_TOKEN)) {
    text += template.slice(last, match.index);
    last = match.index + match[0].length;
    if (match[0] === '{{' || match[0] === '}}') {
      text += match[0][0];
      continue;
    }
    const body = match[1] === undefined ? undefined : PLACEHOLDER_BODY.exec(match[1]);
    if (!body) {
      throw new TypeError(
        `key template ${quote(template)}: ${match[1] === undefined ? `stray '${match[0]}' (write '${match[0]}${match[0]}' for a literal brace)` : `unknown placeholder '${match[0]}'`}; ` +
          "placeholders are argument indexes with an optional property path, like '{0}' or '{1.id}'",
      );
    }
    if (placeholders.length > 0) {
      if (text === '') throw new TypeError(`key template ${quote(template)}: put a separator between ${placeholders.at(-1)!.text} and ${match[0]}, such as ':'`);
      if (/^[\p{L}\p{N}%]/u.test(text)) {
        throw new TypeError(`key template ${quote(template)}: the text between ${placeholders.at(-1)!.text} and ${match[0]} must start with a separator such as ':' or '-', not '${text[0]}'`);
      }
    }
    literals.push(text);
    text = '';
    placeholders.push({ text: match[0], index: Number(body[1]), path: body[2] ? body[2].slice(1).split('.') : [] });
  }
  literals.push(text + template.slice(last));
  return { literals, placeholders };
}

/** Percent-escapes `special` characters and `%` (as `%3A`, or `%u2192` beyond Latin-1). */
function escaper(special: ReadonlySet<string>): ((text: string) => string) | undefined {
  if (special.size === 0) return undefined;
  const chars = new Set([...special, '%']);
  const pattern = new RegExp(`[${[...chars].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}]`, 'g');
  const escape = (c: string): string => {
    const code = c.charCodeAt(0);
    return code < 0x100 ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  };
  return (text) => {
    pattern.lastIndex = 0;
    return pattern.test(text) ? text.replace(pattern, escape) : text;
  };
}

/**
 * `'user:{0}'`, `'{0.id}:{1}'`: each placeholder inserts a string, number, boolean or bigint as
 * text. In a template with several placeholders, the first character of the text between two of
 * them (and `%`) is percent-escaped in every inserted value, so `'{0}:{1}'` with `('a:b', 'c')`
 * and `('a', 'b:c')` are two keys. A placeholder that resolves to `undefined`, `null` or an object
 * raises a KeyBuildError at call time.
 */
function compileTemplate(template: string): (args: readonly unknown[]) => string {
  const { literals, placeholders } = parseTemplate(template);
  const escape = escaper(new Set(literals.slice(1, -1).map((l) => l[0]!)));
  return (args) => {
    let out = literals[0]!;
    for (let i = 0; i < placeholders.length; i++) {
      const text = placeholderText(placeholders[i]!, args);
      out += (escape ? escape(text) : text) + literals[i + 1]!;
    }
    return out;
  };
}

function placeholderText(placeholder: TemplatePlaceholder, args: readonly unknown[]): string {
  let value: unknown = args[placeholder.index];
  let where = `argument ${placeholder.index}`;
  for (const p of placeholder.path) {
    if (value === null || value === undefined) break;
    try {
      value = (value as Record<string, unknown>)[p];
    } catch (error) {
      throw new KeyBuildError(`key template placeholder ${placeholder.text}: reading ${where}.${p} threw (${(error as Error)?.message ?? String(error)})`, { cause: error });
    }
    where += `.${p}`;
  }
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      if (Number.isFinite(value)) return String(value);
      break;
    case 'boolean':
    case 'bigint':
      return String(value);
  }
  throw new KeyBuildError(
    `key template placeholder ${placeholder.text}: ${where} is ${value === undefined || value === null ? String(value) : typeof value === 'number' ? `${value} (number)` : quote(value)}; ` +
      'a placeholder inserts a string, a finite number, a boolean or a bigint (use a key function, or no key for the stable encoding of the arguments)',
  );
}

/** Whether a value is an acceptable key option (validated when a decorator is applied). */
export function isKeyOption(value: unknown): value is KeyOption {
  return typeof value === 'function' || (typeof value === 'string' && value.length > 0);
}
