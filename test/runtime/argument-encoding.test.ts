import fc from 'fast-check';
import { runInNewContext } from 'node:vm';
import { encodeArgs, MAX_DEPTH } from '../../src/runtime/stable-encoding.js';
import { KeyBuildError } from '../../src/errors.js';
import { compileKey } from '../../src/runtime/keys.js';

// What users pass as arguments, and what they call equal: the stable encoding must agree with
// `userEqual` below on every pair (equal encodings exactly for equal values).

class Point {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
}
class Vec {
  constructor(
    public x: unknown,
    public y: unknown,
  ) {}
}
/** A value class that says what it is through toJSON(). */
class Money {
  constructor(private readonly text: string) {
    Object.defineProperty(this, 'text', { enumerable: false });
  }
  toJSON(): string {
    return this.text;
  }
}

const scalar = fc.oneof(
  fc.constantFrom('', 'a', 'b', '1', 'a:b', '"a"', 'undefined', 'null', 'hole', 'NaN', '0', 'Date(NaN)'),
  fc.constantFrom(0, -0, 1, -1, 1.5, NaN, Infinity, -Infinity),
  fc.constantFrom(0n, 1n, -1n),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
);

const builtIn = fc.oneof(
  fc.constantFrom(0, 1, NaN).map((t) => new Date(t)),
  fc.constantFrom('https://a.example/', 'https://A.EXAMPLE', 'https://a.example/?x=1', 'https://a.example/x').map((href) => new URL(href)),
  fc.constantFrom(['a', ''], ['a', 'g'], ['b', ''], ['a,g', '']).map(([source, flags]) => new RegExp(source!, flags)),
  fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 2 }).chain((bytes) =>
    fc.constantFrom(
      Buffer.from(bytes),
      new Uint8Array(bytes),
      new Int8Array(bytes),
      new Uint16Array(bytes),
      new DataView(new Uint8Array(bytes).buffer),
      new Uint8Array(bytes).buffer,
    ),
  ),
  fc.constantFrom('1 EUR', '2 EUR').map((t) => new Money(t)),
);

const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, builtIn, tie('container')),
  container: fc.oneof(
    fc.array(tie('value'), { maxLength: 3 }),
    fc.sparseArray(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('a', 'b', 'a b', '__proto__x'), tie('value'), { maxKeys: 2 }),
    fc.array(fc.tuple(fc.oneof(scalar, tie('value')), tie('value')), { maxLength: 2 }).map((entries) => new Map(entries)),
    fc.array(tie('value'), { maxLength: 3 }).map((items) => new Set(items)),
    fc.tuple(tie('value'), tie('value'), fc.boolean()).map(([x, y, vec]) => (vec ? new Vec(x, y) : new Point(x, y))),
  ),
})).value;

/** Equality as a caller means it: by content, NaN equal to NaN, -0 to 0, Map/Set/object order ignored, a hole unlike undefined. */
/** Subclasses of built-ins: their class and own fields count too. */
class TenantMap extends Map<string, number> {
  constructor(readonly tenant: string) {
    super();
  }
}
class Path extends Array<string> {}
function tenantMap(tenant: string): TenantMap {
  const map = new TenantMap(tenant);
  map.set('k', 1);
  return map;
}

function userEqual(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || (Number.isNaN(a) && Number.isNaN(b));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return a === b;
  // a plain object is plain whether its prototype is Object.prototype or null
  const kind = (o: object): unknown => Object.getPrototypeOf(o) ?? Object.prototype;
  if (kind(a) !== kind(b)) return false;
  // a subclass of a built-in (TenantMap extends Map) is equal when its built-in part and its own fields are
  if (a instanceof TenantMap || a instanceof Path) {
    const fields = (o: object) => Object.fromEntries(Object.entries(o).filter(([k]) => !/^\d+$/.test(k)));
    const base = (o: object) => (o instanceof Map ? new Map(o) : [...(o as unknown[])]);
    return userEqual(base(a), base(b as object)) && userEqual(fields(a), fields(b as object));
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) {
      if (i in a !== i in b || (i in a && !userEqual(a[i], b[i]))) return false;
    }
    return true;
  }
  if (a instanceof Date) return userEqual(a.getTime(), (b as Date).getTime());
  if (a instanceof URL) return a.href === (b as URL).href;
  if (a instanceof RegExp) return a.source === (b as RegExp).source && a.flags === (b as RegExp).flags;
  if (a instanceof ArrayBuffer) return Buffer.from(a).equals(Buffer.from(b as ArrayBuffer));
  if (ArrayBuffer.isView(a)) {
    const v = b as ArrayBufferView;
    return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
  }
  if (a instanceof Money) return a.toJSON() === (b as Money).toJSON();
  if (a instanceof Map) return sameItems([...a], [...(b as Map<unknown, unknown>)], ([k1, v1], [k2, v2]) => userEqual(k1, k2) && userEqual(v1, v2));
  if (a instanceof Set) return sameItems([...a], [...(b as Set<unknown>)], userEqual);
  const keys = Object.keys(a).sort();
  return userEqual(keys, Object.keys(b).sort()) && keys.every((k) => userEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

/** Whether two lists hold the same items in some order (equality is an equivalence, so a greedy match is exact). */
function sameItems<T>(a: T[], b: T[], equal: (x: T, y: T) => boolean): boolean {
  if (a.length !== b.length) return false;
  const left = [...b];
  return a.every((x) => {
    const at = left.findIndex((y) => equal(x, y));
    return at !== -1 && left.splice(at, 1).length === 1;
  });
}

/** An equal value built afresh, with object keys, Map entries and Set items inserted in reverse order. */
function rebuilt(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    const copy = new Array(v.length);
    for (let i = v.length - 1; i >= 0; i--) if (i in v) copy[i] = rebuilt(v[i]);
    return copy;
  }
  if (v instanceof Date) return new Date(v.getTime());
  if (v instanceof URL) return new URL(v.href);
  if (v instanceof RegExp) return new RegExp(v.source, v.flags);
  if (v instanceof Money) return new Money(v.toJSON());
  if (v instanceof ArrayBuffer) return v.slice(0);
  if (v instanceof DataView) return new DataView(v.buffer.slice(0));
  if (ArrayBuffer.isView(v)) return (v as unknown as { slice(): unknown }).slice();
  if (v instanceof Map) return new Map([...v].reverse().map(([k, x]) => [rebuilt(k), rebuilt(x)]));
  if (v instanceof Set) return new Set([...v].reverse().map(rebuilt));
  const copy = Object.create(Object.getPrototypeOf(v)) as Record<string, unknown>;
  for (const k of Object.keys(v).reverse()) copy[k] = rebuilt((v as Record<string, unknown>)[k]);
  return copy;
}

describe('default keys never collide (stable encoding)', () => {
  it('gives equal encodings exactly to values a caller calls equal (property, all kinds of values)', () => {
    fc.assert(
      fc.property(value, value, (a, b) => {
        expect(encodeArgs([a]) === encodeArgs([b])).toBe(userEqual(a, b));
      }),
      { numRuns: 4000 },
    );
  });

  it('gives equal argument lists equal keys, whatever the boundaries between arguments (property)', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 3 }), fc.array(value, { maxLength: 3 }), (a, b) => {
        const equal = a.length === b.length && a.every((x, i) => userEqual(x, b[i]));
        expect(encodeArgs(a) === encodeArgs(b)).toBe(equal);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives a value rebuilt in another insertion order (object keys, Map entries, Set items) the same key (property)', () => {
    fc.assert(
      fc.property(fc.array(value, { maxLength: 3 }), (args) => {
        expect(encodeArgs(args.map(rebuilt))).toBe(encodeArgs(args));
      }),
      { numRuns: 2000 },
    );
  });

  /** Values that look alike (some are equal, most are not), to be put at the same place of a random structure. */
  const lookalikes: Array<[unknown, unknown]> = [
    [0, -0], [NaN, NaN], [1, '1'], [1, 1n], [1, 1.0000000000000002], [null, undefined], [null, 'null'], [undefined, 'undefined'],
    [[, 1], [undefined, 1]], [[, 1], [1]], [[], [,]], [true, 'true'], ['', []], ['a:b', ['a', 'b']], ['a,b', ['a', 'b']], // eslint-disable-line no-sparse-arrays
    [['a', 'b'], [['a', 'b']]], [[], {}], [{}, new Map()], [[], new Set()],
    [new Date(0), new Date(0)], [new Date(0), new Date(0).toISOString()], [new Date(0), 0], [new Date(NaN), new Date(NaN)], [new Date(NaN), 'Date(NaN)'],
    [new URL('https://a.example/'), new URL('https://A.EXAMPLE')], [new URL('https://a.example/'), 'https://a.example/'], [new URL('https://a.example/a'), new URL('https://a.example/b')],
    [Buffer.from([1]), new Uint8Array([1])], [new Uint8Array([1]), new Int8Array([1])], [new Uint8Array([1]), new DataView(new Uint8Array([1]).buffer)],
    [new Uint8Array([1]).buffer, new Uint8Array([1])], [Buffer.from([1]), Buffer.from([1])], [Buffer.from([1]), Buffer.from([2])], [Buffer.from([]), ''],
    [/a/g, /a/], [/a/, /a/], [/a/, 'a'], [/a/, '/a/'], [Object('a'), 'a'], [Object(1), 1],
    [new Point(1, 2), new Vec(1, 2)], [new Point(1, 2), { x: 1, y: 2 }], [new Point(1, 2), new Point(1, 2)], [new Point(1, 2), new Point(2, 1)],
    [new Map([['a', 1]]), { a: 1 }], [new Map([['a', 1]]), [['a', 1]]], [new Map([['a', 1], ['b', 2]]), new Map([['b', 2], ['a', 1]])], [new Map([[1, 'a']]), new Map([['1', 'a']])],
    [new Set([1]), [1]], [new Set([1, 2]), new Set([2, 1])], [new Set([{ a: 1 }]), new Set([{ a: 1 }])],
    [tenantMap('acme'), tenantMap('globex')], [tenantMap('acme'), tenantMap('acme')], [tenantMap('acme'), new Map([['k', 1]])], [Path.from(['a']), ['a']], [Path.from(['a']), Path.from(['a'])],
    [new Money('1'), '1'], [new Money('1'), new Money('1')], [new Money('1'), { toJSON: () => '1' }], [{ a: 1, b: 2 }, { b: 2, a: 1 }], [{ a: undefined }, {}],
  ];

  type Context = (leaf: unknown) => unknown;
  /** A random structure with one slot: a leaf put there sits inside arrays, objects, Map keys and values, Sets and class instances. */
  const context: fc.Arbitrary<Context> = fc.letrec((tie) => ({
    ctx: fc.oneof(
      { depthSize: 'small' },
      fc.constant<Context>((leaf) => leaf),
      fc.tuple(tie('ctx') as fc.Arbitrary<Context>, fc.array(value, { maxLength: 2 }), fc.nat(2)).map(([c, others, at]): Context => (leaf) => {
        const items = [...others];
        items.splice(at, 0, c(leaf));
        return items;
      }),
      fc.tuple(tie('ctx') as fc.Arbitrary<Context>, value).map(([c, other]): Context => (leaf) => ({ slot: c(leaf), other })),
      fc.tuple(tie('ctx') as fc.Arbitrary<Context>, value).map(([c, other]): Context => (leaf) => new Map([['slot', c(leaf)], ['other', other]])),
      fc.tuple(tie('ctx') as fc.Arbitrary<Context>, value).map(([c, other]): Context => (leaf) => new Map([[c(leaf), 1], [other, 2]])),
      fc.tuple(tie('ctx') as fc.Arbitrary<Context>, value).map(([c, other]): Context => (leaf) => new Set([c(leaf), other])),
      fc.tuple(tie('ctx') as fc.Arbitrary<Context>, value).map(([c, other]): Context => (leaf) => new Point(c(leaf), other)),
    ),
  })).ctx as fc.Arbitrary<Context>;

  it('keeps look-alike values apart (and equal ones together) wherever they sit in the arguments (property)', () => {
    fc.assert(
      fc.property(context, fc.array(value, { maxLength: 2 }), fc.constantFrom(...lookalikes), (ctx, others, [x, y]) => {
        const a = [...others, ctx(x)];
        const b = [...others, ctx(y)];
        expect(encodeArgs(a) === encodeArgs(b)).toBe(userEqual(a, b));
      }),
      { numRuns: 3000 },
    );
  });

  it('encodes URL by href, Date by time, typed arrays by type and bytes, toJSON() objects by class and JSON', () => {
    expect(encodeArgs([new URL('https://A.example')])).toBe('URL("https://a.example/")');
    expect(encodeArgs([new URL('https://a.example/x')])).not.toBe(encodeArgs([new URL('https://a.example/y')]));
    expect(encodeArgs([new URLSearchParams('a=1&b=2')])).toBe('URLSearchParams("a=1&b=2")');
    expect(encodeArgs([Buffer.from('hi')])).toBe('Buffer(6869)');
    expect(encodeArgs([new Uint8Array([1, 2])])).toBe('Uint8Array(0102)');
    expect(encodeArgs([new DataView(new Uint8Array([1]).buffer)])).toBe('DataView(01)');
    expect(encodeArgs([new Uint8Array([1]).buffer])).toBe('ArrayBuffer(01)');
    expect(encodeArgs([new Money('1 EUR')])).toBe('@"Money"~"1 EUR"');
    expect(encodeArgs([{ toJSON: () => 'x' }])).toBe('~"x"');
    expect(encodeArgs([[, 1]])).toBe('[hole,1]'); // eslint-disable-line no-sparse-arrays
    expect(encodeArgs([[undefined, 1]])).toBe('[undefined,1]');
    expect(encodeArgs([-0])).toBe(encodeArgs([0]));
    expect(encodeArgs([NaN])).toBe('NaN');
    expect(encodeArgs([Object('a'), Object(1)])).toBe('Object("a"),Object(1)');
    expect(encodeArgs([new Point(1, 2)])).toBe('@"Point"{"x":1,"y":2}');
    expect(() => encodeArgs([{ a: 1, [Symbol('s')]: 2 }])).toThrow('argument 0 is an object with symbol-keyed fields (Symbol(s))');
  });

  const refused: Array<[string, unknown, string]> = [
    ['an Error', new Error('boom'), 'an Error'],
    ['a TypeError', new TypeError('boom'), 'an Error'],
    ['a Promise', Promise.resolve(1), 'a Promise'],
    ['a WeakMap', new WeakMap(), 'a WeakMap'],
    ['a WeakSet', new WeakSet(), 'a WeakSet'],
    ['a function', () => 1, 'a function'],
    ['a symbol', Symbol('s'), 'a symbol'],
    ['a class instance with #private state only', new (class Secret { #id = 1; get id() { return this.#id; } })(), 'a Secret instance with no own enumerable field'],
    ['a class instance with non-enumerable fields', Object.defineProperty(new Point(1, 2), 'z', { value: 3 }), 'a Point instance with non-enumerable fields (z)'],
    ['a Map subclass with non-enumerable fields', Object.defineProperty(tenantMap('a'), 'secret', { value: 3 }), 'a TenantMap instance with non-enumerable fields (secret)'],
  ];

  it.each(refused)('refuses %s with a KeyBuildError naming the argument and suggesting `key`', (_, bad, what) => {
    const check = (args: unknown[], where: string): void => {
      let error: unknown;
      try {
        encodeArgs(args);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(KeyBuildError);
      expect((error as KeyBuildError).code).toBe('E_KEY_BUILD');
      expect((error as Error).message).toContain(`cannot build a cache key: ${where} is ${what}`);
      expect((error as Error).message).toContain('give the decorator a `key` option');
    };
    check([bad], 'argument 0');
    check(['id', bad], 'argument 1');
    check(['id', { user: { avatar: bad } }], 'argument 1.user.avatar');
    check([[1, [2, bad]]], 'argument 0[1][1]');
    check([new Map([['k', bad]])], 'argument 0.get("k")');
    check([{ 'a b': new Set([bad]) }], 'argument 0["a b"] (a Set item)');
  });

  it('refuses an unencodable value wherever it sits in a random structure (property)', () => {
    fc.assert(
      fc.property(context, fc.array(value, { maxLength: 2 }), fc.constantFrom(...refused), (ctx, others, [, bad]) => {
        expect(() => encodeArgs([...others, ctx(bad)])).toThrow(KeyBuildError);
      }),
      { numRuns: 1000 },
    );
  });

  it('never lets two distinct unencodable arguments share a key (each call fails instead)', () => {
    expect(() => encodeArgs([new Error('a')])).toThrow(KeyBuildError);
    expect(() => encodeArgs([new Error('b')])).toThrow(KeyBuildError);
    expect(() => encodeArgs([Promise.resolve(1)])).toThrow(KeyBuildError);
  });

  it('refuses circular values and values nested too deeply with a KeyBuildError, never a stack overflow', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = { back: cyclic };
    expect(() => encodeArgs([1, cyclic])).toThrow('cannot build a cache key: argument 1.self.back is circular (it contains itself)');
    const viaMap = new Map<string, unknown>();
    viaMap.set('m', viaMap);
    expect(() => encodeArgs([viaMap])).toThrow('argument 0.get("m") is circular');
    const selfJson = { toJSON: () => selfJson };
    expect(() => encodeArgs([selfJson])).toThrow('argument 0 (toJSON() result) is circular');
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => encodeArgs([deep])).toThrow(`is nested more than ${MAX_DEPTH} levels deep`);
    let ok: unknown = 'leaf';
    for (let i = 0; i < MAX_DEPTH - 1; i++) ok = { n: ok };
    expect(encodeArgs([ok]).length).toBeGreaterThan(MAX_DEPTH * 5);
  });

  it('reports a toJSON() that throws as a KeyBuildError with the cause', () => {
    const boom = new Error('no json');
    const bad = { toJSON: () => { throw boom; } };
    let error: unknown;
    try {
      encodeArgs([bad]);
    } catch (e) {
      error = e;
    }
    expect((error as Error).message).toContain("argument 0 is an object whose toJSON() threw (no json)");
    expect((error as Error).cause).toBe(boom);
  });

  it('reports a getter that throws while the key is built as a KeyBuildError naming the argument', () => {
    const boom = new Error('not loaded');
    const lazy = { get user() { throw boom; } };
    expect(() => encodeArgs(['x', lazy])).toThrow(KeyBuildError);
    expect(() => encodeArgs(['x', lazy])).toThrow('cannot build a cache key: reading argument 1 threw (not loaded)');
    const template = compileKey('u:{0.user.id}', 'p:n');
    expect(() => template([lazy])).toThrow(KeyBuildError);
    expect(() => template([lazy])).toThrow('key template placeholder {0.user.id}: reading argument 0.user threw (not loaded)');
  });

  it('encodes values from another realm (a vm context) exactly like local ones, and refuses their Errors', () => {
    const foreign = runInNewContext('({ a: 1, d: new Date(0), m: new Map([[1, [2]]]), u: new Uint8Array([1]), n: Object.create(null) })') as unknown;
    const local = { a: 1, d: new Date(0), m: new Map([[1, [2]]]), u: new Uint8Array([1]), n: Object.create(null) as object };
    expect(encodeArgs([foreign])).toBe(encodeArgs([local]));
    expect(() => encodeArgs([runInNewContext('new Error("x")')])).toThrow('argument 0 is an Error');
  });
});
