import { KeyBuildError } from '../errors.js';
import { quote } from '../duration.js';
import { encodeArgs, encodeValue } from './stable-encoding.js';
import { InternedKeys } from './interned-keys.js';
import { entryKey } from '../stores/key-layout.js';
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
