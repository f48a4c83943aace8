import fc from 'fast-check';
import { numberOrText, partStart, partText, QUOTED, splitPart, TEXT, type KeyPartKind } from '../../src/stores/key-parts.js';
import { compileKeyParts } from '../../src/runtime/keys.js';
import { encodeValue } from '../../src/runtime/stable-encoding.js';
import { entryKey, namespaceBase } from '../../src/stores/key-layout.js';

// A MemoryStore files an entry either under its whole key or, through a key scope, under its
// part (stores/key-parts.ts). Both must name one entry for one key: the split of a key must give
// the key back, and the part the runtime reads by (runtime/keys.ts `kindOf`) must be exactly the
// part the store finds in the full key. A part that differs is another entry: a read by part would
// miss a write by key (a stale value served after a write).

/** Characters that take every branch of the split: separators, quotes, escapes, digits, number words, surrogates (paired and lone), controls. */
const char = fc.constantFrom(':', '"', '\\', '#', '%', '-', '.', 'e', '+', '0', '1', '9', 'a', 'I', 'N', 'Infinity', 'NaN', '😀', '\ud800', '\udc00', '\n', '\u0001', '\u2028', ' ', 'é');
const text = fc.array(char, { maxLength: 12 }).map((parts) => parts.join(''));
const number = fc.oneof(fc.double(), fc.integer(), fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 1e21, 1e-7, -1.5, 2 ** 53));

function split(key: string): { scope: string; kind: KeyPartKind; part: string | number } {
  const start = partStart(key);
  const out = { kind: QUOTED as KeyPartKind, part: '' as string | number };
  splitPart(key.slice(start), out);
  return { scope: key.slice(0, start), ...out };
}

describe('key parts', () => {
  it('a key splits into a scope and a part whose text gives the key back (so two keys never share one)', () => {
    fc.assert(
      fc.property(text, text, (a, b) => {
        for (const key of [a, `${a}:${b}`, `p:${a}:${b}`, `p:n:${a}`, `"${a}"`, `p:n:"${a}"`]) {
          const { scope, kind, part } = split(key);
          expect(scope + partText(kind, part)).toBe(key);
        }
      }),
      { numRuns: 3_000 },
    );
  });

  it('the key of a lone string argument splits into that very string, as a quoted part', () => {
    const base = namespaceBase('cachekit', 'Repo.get');
    const parts = compileKeyParts(undefined, base);
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ maxLength: 33 }), fc.string({ unit: 'binary', maxLength: 40 })), (s) => {
        const key = entryKey(base, encodeValue(s));
        expect(parts.keyOf(s)).toBe(key);
        // read by part up to 33 characters (never hashed into the key); longer ones by their full key
        expect(parts.kindOf(s)).toBe(s.length <= 33 ? QUOTED : -1);
        if (encodeValue(s).length <= 200) expect(split(key)).toEqual({ scope: `${base}:`, kind: QUOTED, part: s });
      }),
      { numRuns: 3_000 },
    );
  });

  it('the key of a lone number argument splits into that number, as a text part', () => {
    const base = namespaceBase('cachekit', 'Repo.get');
    const parts = compileKeyParts(undefined, base);
    fc.assert(
      fc.property(number, (n) => {
        expect(parts.kindOf(n)).toBe(TEXT);
        const { scope, kind, part } = split(parts.keyOf(n));
        expect([scope, kind]).toEqual([`${base}:`, TEXT]);
        // -0 and 0 are one key (the encoding's `0`), and one part (a Map holds them as one)
        expect(Object.is(part, n) || (part === 0 && n === 0)).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it("a key function's result is read by part only where the store finds that same part in the key", () => {
    const base = namespaceBase('cachekit', 'Repo.get');
    const parts = compileKeyParts((k: string | number) => k, base);
    fc.assert(
      // a key function may return a finite number (any other is refused when the key is built)
      fc.property(fc.oneof(text, number.filter(Number.isFinite), number.map(String), text.map((t) => `"${t}"`)), (result) => {
        const part = parts.partOf([result]);
        expect(part).toBe(result);
        const key = parts.keyOf(result);
        expect(key).toBe(entryKey(base, String(result)));
        const kind = parts.kindOf(result);
        if (kind >= 0) {
          const found = split(key);
          expect([found.scope, found.kind]).toEqual([`${base}:`, kind]);
          expect(Object.is(found.part, result) || (found.part === 0 && result === 0)).toBe(true);
        }
      }),
      { numRuns: 3_000 },
    );
    // a number's text reads as the number, a quoted string as the string: those take the full key
    expect(parts.kindOf('42')).toBe(-1);
    expect(parts.kindOf('"a"')).toBe(-1);
    expect(parts.kindOf('user-42')).toBe(TEXT);
    expect(parts.kindOf(42)).toBe(TEXT);
  });

  it('a text is a number exactly when it is the canonical text of one', () => {
    fc.assert(
      fc.property(fc.oneof(text, number.map(String)), (t) => {
        const n = numberOrText(t);
        if (typeof n === 'number') expect(String(n)).toBe(t);
        else expect(String(Number(t))).not.toBe(t);
      }),
      { numRuns: 3_000 },
    );
  });
});
