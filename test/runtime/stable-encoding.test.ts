import fc from 'fast-check';
import { encodeArgs, encodeValue } from '../../src/runtime/stable-encoding.js';
import { entryKey, escapeSegment, namespaceBase, namespaceVersionKey, tagVersionKey, versionKeyScope, MAX_KEY_LENGTH } from '../../src/stores/key-layout.js';
import { compileKey } from '../../src/runtime/keys.js';
import { KeyBuildError } from '../../src/errors.js';

describe('stable encoding of arguments', () => {
  it('ignores object key order', () => {
    expect(encodeValue({ a: 1, b: { c: 2, d: 3 } })).toBe(encodeValue({ b: { d: 3, c: 2 }, a: 1 }));
    expect(encodeValue({ a: 1, b: 2 })).toBe('{"a":1,"b":2}');
  });

  it('keeps values of different types apart', () => {
    const values = [1, '1', 1n, null, undefined, true, 'true', new Date(0), new Date(0).toISOString(), [1], '[1]', { a: 1 }, new Map([['a', 1]]), new Set([1]), [[1]], [1, [2]], [[1, 2]], NaN, 'NaN', 0, '0'];
    const encoded = values.map((v) => encodeValue(v));
    expect(new Set(encoded).size).toBe(values.length);
  });

  it('encodes each type in its documented shape', () => {
    expect(encodeArgs(['a', 1, null, undefined, 2n])).toBe('"a",1,null,undefined,2n');
    expect(encodeValue(new Date('2024-01-02T03:04:05.000Z'))).toBe('Date(2024-01-02T03:04:05.000Z)');
    expect(encodeValue(new Map([['b', 2], ['a', 1]]))).toBe('Map{"a"=>1,"b"=>2}');
    expect(encodeValue(new Set([2, 1]))).toBe('Set[1,2]');
    expect(encodeValue(-0)).toBe('0');
    class Point { constructor(public x: number, public y: number) {} }
    expect(encodeValue(new Point(1, 2))).toBe('@"Point"{"x":1,"y":2}');
    expect(encodeArgs([])).toBe('');
  });

  it('raises KeyBuildError on circular, function and symbol arguments', () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    expect(() => encodeValue(cyclic)).toThrow(KeyBuildError);
    expect(() => encodeValue({ f: () => 1 })).toThrow('cannot build a cache key: the argument.f is a function');
    expect(() => encodeValue(Symbol('s'))).toThrow('cannot build a cache key: the argument is a symbol');
  });

  it('encodes a shared (non-circular) reference twice without error', () => {
    const shared = { a: 1 };
    expect(encodeValue([shared, shared])).toBe('[{"a":1},{"a":1}]');
  });

  const arg = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.string(),
      fc.integer(),
      fc.double({ noNaN: false }),
      fc.bigInt(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.date({ noInvalidDate: true }),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 3 }),
    ),
  })).value;

  it('gives equal arguments equal keys and unequal arguments unequal keys (property)', () => {
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 3 }), fc.array(arg, { maxLength: 3 }), (a, b) => {
        const same = fc.stringify(normalize(a)) === fc.stringify(normalize(b));
        expect(encodeArgs(a) === encodeArgs(b)).toBe(same);
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(fc.array(arg, { maxLength: 3 }), (a) => {
        expect(encodeArgs(structuredClone(a))).toBe(encodeArgs(a));
      }),
      { numRuns: 500 },
    );
  });
});

/** A canonical form for comparing generated values: sorted object keys, -0 as 0 (the encoding's equality). */
function normalize(value: unknown): unknown {
  if (Object.is(value, -0)) return 0;
  if (Array.isArray(value)) return value.map(normalize);
  if (value instanceof Date) return { __date: value.toISOString() };
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, normalize((value as Record<string, unknown>)[k])]));
  }
  return value;
}

describe('key builder', () => {
  it('lays out prefix:namespace:key', () => {
    expect(entryKey(namespaceBase('shop', 'product'), '42')).toBe('shop:product:42');
  });

  it('escapes separators so a namespace cannot produce another namespace\'s keys', () => {
    const a = entryKey(namespaceBase('p', 'a:b'), 'c');
    const b = entryKey(namespaceBase('p', 'a'), 'b:c');
    expect(a).toBe('p:a%3Ab:c');
    expect(b).toBe('p:a:b:c');
    expect(escapeSegment('x%3A')).toBe('x%253A');
  });

  it('hashes keys longer than the limit into a form no plain key can take', () => {
    const long = 'x'.repeat(MAX_KEY_LENGTH + 1);
    const key = entryKey(namespaceBase('p', 'n'), long);
    expect(key).toMatch(/^p:n#[A-Za-z0-9_-]{43}$/);
    expect(entryKey(namespaceBase('p', 'n'), long)).toBe(key);
    expect(entryKey(namespaceBase('p', 'n'), `${long}y`)).not.toBe(key);
  });

  it('compiles templates with argument indexes and property paths', () => {
    const key = compileKey('user:{0}:{1.id}', 'p:n');
    expect(key(['ann', { id: 7 }])).toBe('p:n:user:ann:7');
  });

  it('rejects a key function result that is not a string or number', () => {
    const key = compileKey(() => ({}) as never, 'p:n');
    expect(() => key([])).toThrow(new KeyBuildError('key function must return a string or a finite number; got {} (object)'));
    expect(compileKey((() => ['a', 1]) as never, 'p:n', true)([])).toEqual(['p:n:a', 'p:n:1']);
  });

  it('builds the same full key for a repeated key part, and distinct ones for 1 and "1" by default', () => {
    const byArgs = compileKey(undefined, 'p:n');
    expect([byArgs(['1']), byArgs([1]), byArgs(['1']), byArgs([1])]).toEqual(['p:n:"1"', 'p:n:1', 'p:n:"1"', 'p:n:1']);
    expect(byArgs(['a', 2])).toBe('p:n:"a",2');
    const byFn = compileKey((id: unknown) => id as string, 'p:n');
    expect([byFn(['x']), byFn(['x']), byFn([7])]).toEqual(['p:n:x', 'p:n:x', 'p:n:7']);
  });
});

describe('versionKeyScope', () => {
  it('returns the escaped prefix of namespace and tag version keys, and nothing for other keys', () => {
    expect(versionKeyScope(namespaceVersionKey('my:app', 'users'))).toBe('my%3Aapp');
    expect(versionKeyScope(tagVersionKey('shop', 'user:1'))).toBe('shop');
    expect(versionKeyScope(entryKey(namespaceBase('shop', 'users'), '#n:x'))).toBeUndefined();
    expect(versionKeyScope(entryKey(namespaceBase('shop', 'users'), 'x'.repeat(MAX_KEY_LENGTH + 1)))).toBeUndefined();
    expect(versionKeyScope('#n:users')).toBeUndefined();
  });
});
