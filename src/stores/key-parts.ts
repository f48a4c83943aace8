/**
 * Full keys taken apart into a scope and a part, so an in-process store can index its entries
 * by the part alone (a caller's own argument string, or a number) instead of holding a long full
 * key string per entry, and be addressed that way without a full key being built.
 *
 * The split is a function of the key's text, and `scope + text of the part` gives the key back,
 * so two different keys never share a (scope, kind, part) and one key always has the same one:
 * - **scope**: the key up to and including its second `:` (`prefix:namespace:` for an entry key,
 *   see `key-layout.ts`), or `''` for a key with fewer than two;
 * - **kind and part**: {@link QUOTED} when the rest is exactly the stable encoding of a string
 *   (`"product-1"`: the part is the string itself, `product-1`); {@link TEXT} otherwise, the
 *   part being a number when the rest is exactly `String(n)` of one (`42`, `-1.5`, `NaN`), else
 *   the rest as it is.
 *
 * The key builder (`runtime/keys.ts`) encodes a string argument with {@link quoteKeyString}, so a
 * lone string argument is a QUOTED part and a lone number or a key function's result a TEXT part.
 */

/** A part that is a string argument's stable encoding; the part is the string. */
export const QUOTED = 0;
/** Any other part: a number for a number's canonical text, else the text itself. */
export const TEXT = 1;
/** The kind of a key part. */
export type KeyPartKind = typeof QUOTED | typeof TEXT;

/** What JSON.stringify escapes in a string: quote, backslash, control characters, surrogates (lone ones; paired ones take the slow path too). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The stable encoding of a string in a key: JSON.stringify's output (without its generic path when nothing needs escaping: ~4x faster). */
export function quoteKeyString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** The text a part stands for in its key. */
export function partText(kind: KeyPartKind, part: string | number): string {
  return kind === QUOTED ? quoteKeyString(part as string) : typeof part === 'number' ? String(part) : part;
}

/** The index in `key` where its part starts (after the scope; 0 for scope `''`). */
export function partStart(key: string): number {
  const first = key.indexOf(':');
  if (first < 0) return 0;
  const second = key.indexOf(':', first + 1);
  return second < 0 ? 0 : second + 1;
}

/** The part of `rest` (what follows the scope) and its kind, written into `out` (a string part may be a slice of `rest`). */
export function splitPart(rest: string, out: { kind: KeyPartKind; part: string | number }): void {
  const n = rest.length;
  if (n >= 2 && rest.charCodeAt(0) === 34 && rest.charCodeAt(n - 1) === 34) {
    const inner = rest.slice(1, -1);
    if (!NEEDS_ESCAPE.test(inner)) {
      out.kind = QUOTED;
      out.part = inner;
      return;
    }
    // escapes, or characters JSON.stringify leaves as they are (paired surrogates): the encoding of a string only if it round-trips
    let decoded: unknown;
    try {
      decoded = JSON.parse(rest);
    } catch {
      decoded = undefined;
    }
    if (typeof decoded === 'string' && quoteKeyString(decoded) === rest) {
      out.kind = QUOTED;
      out.part = decoded;
      return;
    }
  }
  out.kind = TEXT;
  out.part = numberOrText(rest);
}

/** A TEXT part: the number whose canonical text `text` is, or `text` itself. */
export function numberOrText(text: string): string | number {
  const c = text.charCodeAt(0);
  // only a digit, '-', 'I' (Infinity) or 'N' (NaN) can start a number's canonical text
  if ((c >= 48 && c <= 57) || c === 45 || c === 73 || c === 78) {
    const number = Number(text);
    if (String(number) === text) return number;
  }
  return text;
}

// A module-level alias: each `Math.imul` would otherwise be a global lookup (slow in sandboxed contexts such as Jest's).
const imul = Math.imul;

/** FNV-1a of `text`, continued from `hash`. */
export function hashText(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = imul(h, 0x01000193);
  }
  return h | 0;
}

/** The hash of a part within a scope whose hash is `scopeHash` (a number part hashes its canonical text). */
export function hashPart(scopeHash: number, part: string | number): number {
  if (typeof part === 'string') return hashText(scopeHash, part);
  if ((part | 0) === part) return imul(scopeHash ^ part, 0x01000193) ^ 0x5bd1e995;
  return hashText(scopeHash ^ 0x5bd1e995, String(part));
}

/** The hash of a scope and kind, the start of its parts' hashes. */
export function hashScope(scope: string, kind: KeyPartKind): number {
  return hashText(0x811c9dc5 ^ kind, scope);
}
