import { KeyBuildError } from '../errors.js';
import { quote } from '../duration.js';
import { encodeArgs, encodeValue } from './stable-encoding.js';
import { InternedKeys } from './interned-keys.js';
import { entryKey, MAX_KEY_LENGTH } from '../stores/key-layout.js';
import { numberOrText, QUOTED, TEXT } from '../stores/key-parts.js';
import type { KeyOption } from '../options/key.js';

/**
 * The one key builder every decorator uses, so that `@Cacheable`, `@WriteThrough`,
 * `@Invalidate` and `@WriteBehind` with the same namespace and key address the same entry.
 *
 * The layout of the full keys it builds is in `stores/key-layout.ts`.
 */

/** Turns the arguments of a call into the full key(s) of its entry. */
export type KeyFunction = (args: readonly unknown[]) => string | string[];

/** How many full keys one method remembers for its most common key parts before starting over. */
const INTERNED_LIMIT = 10_000;

/**
 * Compiles a key option into a function from a call's arguments to full keys under `base`
 * (see `namespaceBase` in stores/key-layout.ts). Without an option, the key is the stable encoding of every
 * argument. Full keys built from a single string or number (a key function's result, or a
 * lone argument) are remembered, so a repeated key costs one map lookup instead of an
 * encoding, a concatenation and the hashing of a fresh long string on every hit.
 * @param many whether the key function may return several keys (`@Invalidate`)
 * @param parts the {@link KeyParts} of the same option and base, to share its remembered keys
 */
export function compileKey(option: KeyOption | undefined, base: string, many = false, parts?: KeyParts): KeyFunction {
  if (typeof option === 'string') {
    const template = compileTemplate(option);
    return (args) => entryKey(base, template(args));
  }
  parts ??= compileKeyParts(option, base);
  if (option === undefined) {
    return (args) => {
      const part = parts.partOf(args);
      return part === NO_PART ? entryKey(base, encodeArgs(args)) : parts.keyOf(part);
    };
  }
  if (!many) return (args) => parts.keyOf(parts.partOf(args) as string | number);
  return (args) => {
    const result = callKeyFunction(option, args);
    if (typeof result === 'string' || (typeof result === 'number' && Number.isFinite(result))) return parts.keyOf(result);
    if (Array.isArray(result) && result.every((k) => typeof k === 'string' || (typeof k === 'number' && Number.isFinite(k)))) {
      return result.map((k) => entryKey(base, String(k)));
    }
    throw badKeyResult(result, true);
  };
}

/** What {@link KeyParts.partOf} returns for a key that is not made of one part (several arguments, an object). */
export const NO_PART: unique symbol = Symbol('no key part');

/**
 * The key of a call as one part under the namespace (see `stores/key-parts.ts`): the lone string
 * or number argument (no key option), or a key function's string or number result. A store with
 * `keyScope` is read and populated by that part, with no full key built.
 */
export interface KeyParts {
  /**
   * The part of a call's key, or {@link NO_PART} when the key is the encoding of several
   * arguments or of an object (no key option). Calls the key function once.
   * @throws KeyBuildError when the key function throws or returns neither a string nor a finite number
   */
  partOf(args: readonly unknown[]): string | number | typeof NO_PART;
  /** The full key of a part {@link partOf} returned (remembered for the most common parts). */
  keyOf(part: string | number): string;
  /**
   * The kind of key scope (`CacheStore.keyScope`) that holds `part` as it is, or -1 when it must be
   * addressed by its full key (a part too long, hashed into its key; a key function's string that
   * reads as a number or a quoted string, whose scope part would differ from it).
   */
  kindOf(part: string | number): 0 | 1 | -1;
}

/** Compiles a key option that is not a template into {@link KeyParts} under `base`. */
export function compileKeyParts(option: Exclude<KeyOption, string> | undefined, base: string): KeyParts {
  const interned = new InternedKeys(INTERNED_LIMIT);
  if (option === undefined) {
    const fromArgument = (arg: string | number): string => entryKey(base, encodeValue(arg));
    return {
      partOf: (args) => {
        if (args.length === 1) {
          const arg = args[0];
          if (typeof arg === 'string' || typeof arg === 'number') return arg;
        }
        return NO_PART;
      },
      keyOf: (part) => interned.get(part, fromArgument),
      // a string's encoding is at most 6 characters a character and its quotes: 33 never gets hashed
      kindOf: (part) => (typeof part === 'number' ? TEXT : part.length <= SHORT_STRING ? QUOTED : -1),
    };
  }
  const fromPart = (part: string | number): string => entryKey(base, String(part));
  return {
    partOf: (args) => {
      const result = callKeyFunction(option, args);
      if (typeof result === 'string' || (typeof result === 'number' && Number.isFinite(result))) return result;
      throw badKeyResult(result, false);
    },
    keyOf: (part) => interned.get(part, fromPart),
    kindOf: (part) =>
      typeof part === 'number' ? TEXT : part.length <= MAX_KEY_LENGTH && part.charCodeAt(0) !== QUOTE && numberOrText(part) === part ? TEXT : -1,
  };
}

/** The longest string argument whose key part is never hashed (see `kindOf`). */
const SHORT_STRING = (MAX_KEY_LENGTH - 2) / 6;
const QUOTE = 34;

function callKeyFunction(option: Exclude<KeyOption, string>, args: readonly unknown[]): unknown {
  try {
    return option(...args);
  } catch (error) {
    throw new KeyBuildError(`key function threw: ${(error as Error)?.message ?? String(error)}`, { cause: error });
  }
}

function badKeyResult(result: unknown, many: boolean): KeyBuildError {
  return new KeyBuildError(
    `key function must return a string or a finite number${many ? ' (or an array of them: several keys)' : ''}; got ${quote(result)}` +
      (Array.isArray(result) && !many ? "; to build one key from several parts use a template like '{0}:{1}' (its parts are escaped)" : ''),
  );
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
