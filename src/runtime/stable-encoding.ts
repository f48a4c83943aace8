import { KeyBuildError } from '../errors.js';

/**
 * A deterministic, collision-free text encoding of argument values for cache keys: two values
 * get one encoding exactly when a caller would call them equal.
 *
 * Every type has its own shape, so values of different types never encode alike:
 * `1` -> `1` (and `-0` -> `0`, `NaN` -> `NaN`), `'1'` -> `"1"`, `1n` -> `1n`, `null` -> `null`,
 * `undefined` -> `undefined`, arrays -> `[..]` (a hole -> `hole`, never `undefined`), plain
 * objects -> `{"a":..}` with keys sorted (key order does not matter; non-enumerable fields are ignored, as
 * by JSON), `Date` -> `Date(2024-01-01T00:00:00.000Z)`, `URL` -> `URL("href")`, `RegExp` ->
 * `RegExp("source",flags)`, `Buffer`, typed arrays, `DataView`, `ArrayBuffer` -> their type and
 * bytes, `Map` -> `Map{k=>v,..}` and `Set` -> `Set[..]` with entries sorted (insertion order does
 * not matter), boxed primitives -> `Object(..)`, an object with `toJSON()` -> its class and the
 * encoding of what `toJSON()` returns, other class instances -> `@"ClassName"{..}` of their own
 * enumerable fields.
 *
 * What the encoding cannot see is refused with a {@link KeyBuildError} naming where it sits
 * (`argument 1.user`), so two calls never share a key by accident: functions, symbols, enumerable symbol-keyed fields, `Error`s,
 * `Promise`s, `WeakMap`/`WeakSet`/`WeakRef`, class instances with no own enumerable field (their
 * state is `#private`, inherited or native) or with non-enumerable own fields, circular values and
 * values nested more than {@link MAX_DEPTH} levels deep.
 */
export function encodeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      // JSON.stringify's output, without its generic path when nothing needs escaping (~4x faster).
      return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
    case 'number':
      return value === 0 ? '0' : String(value);
    default:
      return encodeAt(value, 'the argument');
  }
}

/** Encodes one value; a value that cannot be encoded raises a KeyBuildError that names it by `where` (e.g. `argument 0`, `placeholder {0.id}`). */
export function encodeAt(value: unknown, where: string): string {
  try {
    return encodeNested(value, []);
  } catch (error) {
    throw keyError(error, where);
  }
}

/** Encodes an argument list: each argument encoded and joined by commas; `''` for no arguments. */
export function encodeArgs(args: readonly unknown[]): string {
  let i = 0;
  try {
    if (args.length === 1) return encodeNested(args[0], []);
    let out = '';
    for (; i < args.length; i++) out += (i === 0 ? '' : ',') + encodeNested(args[i], []);
    return out;
  } catch (error) {
    throw keyError(error, `argument ${i}`);
  }
}

/** The KeyBuildError for a failure while encoding the value at `where` (a getter that threw, say). */
function keyError(error: unknown, where: string): KeyBuildError {
  if (error instanceof UnencodableValueError) return error.at(where);
  if (error instanceof KeyBuildError) return error;
  return new KeyBuildError(`cannot build a cache key: reading ${where} threw (${(error as Error)?.message ?? String(error)})`, { cause: error });
}

/** How deeply values may nest; deeper ones raise a KeyBuildError (never a stack overflow). */
export const MAX_DEPTH = 256;

/** What JSON.stringify escapes in a string: quote, backslash, control characters, surrogates (lone ones; paired ones take the slow path too). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function quoted(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** A value the encoding cannot see, found `path` below the argument; {@link at} names the argument. */
class UnencodableValueError extends KeyBuildError {
  constructor(
    private readonly what: string,
    private readonly path: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot build a cache key: ${what}`, options);
  }

  at(where: string): KeyBuildError {
    return new KeyBuildError(
      `cannot build a cache key: ${where}${this.path} is ${this.what}; give the decorator a \`key\` option ` +
        `(a function of the arguments returning a string or number, or a template like 'user:{0.id}')`,
      { cause: this.cause },
    );
  }
}

function encodeNested(value: unknown, ancestors: object[]): string {
  switch (typeof value) {
    case 'string':
      return quoted(value);
    case 'number':
      return value === 0 ? '0' : String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'bigint':
      return `${value}n`;
    case 'object':
      return value === null ? 'null' : encodeObject(value, ancestors);
    case 'function':
      throw unencodable(ancestors, value, 'a function');
    default:
      throw unencodable(ancestors, value, `a ${typeof value}`);
  }
}

function encodeObject(value: object, ancestors: object[]): string {
  if (ancestors.includes(value)) throw unencodable(ancestors, value, 'circular (it contains itself)', undefined, false);
  if (ancestors.length >= MAX_DEPTH) throw unencodable(ancestors, value, `nested more than ${MAX_DEPTH} levels deep`, undefined, false);
  ancestors.push(value);
  try {
    return encodeShape(value, ancestors);
  } finally {
    ancestors.pop();
  }
}

function encodeShape(value: object, ancestors: object[]): string {
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      out += (i === 0 ? '' : ',') + (item === undefined && !(i in value) ? 'hole' : encodeNested(item, ancestors));
    }
    out += ']';
    const proto = Object.getPrototypeOf(value) as object;
    return proto === Array.prototype || isBuiltInPrototype(proto) ? out : encodeSubclass(value, out, ancestors);
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    return typeof (value as { toJSON?: unknown }).toJSON === 'function' ? encodeToJson(value, '', ancestors) : encodeFields('', value, ancestors);
  }
  return encodeBuiltInOrInstance(value, proto as object, ancestors);
}

/** `{"a":..,"b":..}`: own enumerable string-keyed fields, sorted by name, after `tag`. */
function encodeFields(tag: string, value: object, ancestors: object[], keys = Object.keys(value)): string {
  // A symbol has no stable identity to encode (another process makes another one): refused.
  const symbols = Object.getOwnPropertySymbols(value);
  if (symbols.length > 0 && symbols.some((s) => Object.prototype.propertyIsEnumerable.call(value, s))) {
    throw unencodable(ancestors, value, `an object with symbol-keyed fields (${symbols.map(String).join(', ')})`);
  }
  keys.sort();
  let out = `${tag}{`;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += `${i === 0 ? '' : ','}${quoted(k)}:${encodeNested((value as Record<string, unknown>)[k], ancestors)}`;
  }
  return out + '}';
}

/** Tags whose values hold state the encoding cannot read, with how to call them in an error. */
const OPAQUE: Record<string, string> = {
  '[object Error]': 'an Error (its message and stack are not enumerable)',
  '[object Promise]': 'a Promise',
  '[object WeakMap]': 'a WeakMap',
  '[object WeakSet]': 'a WeakSet',
  '[object WeakRef]': 'a WeakRef',
  '[object FinalizationRegistry]': 'a FinalizationRegistry',
  '[object Symbol]': 'a boxed symbol',
};

/**
 * Whether `proto` is a built-in's own prototype (`Map.prototype`, of any realm), not a subclass's:
 * its own prototype is an `Object.prototype`, the end of the chain.
 */
function isBuiltInPrototype(proto: object): boolean {
  const above: unknown = Object.getPrototypeOf(proto);
  return above !== null && Object.getPrototypeOf(above) === null;
}

/**
 * An instance of a subclass of a built-in (`class TenantMap extends Map`): its class, the
 * built-in's encoding, then its own enumerable fields (array indices aside), so that neither the
 * class nor a field such as `tenant` is lost. Non-enumerable own fields are refused, as on any
 * class instance.
 */
function encodeSubclass(value: object, builtIn: string, ancestors: object[]): string {
  const array = Array.isArray(value);
  const hidden = Object.getOwnPropertyNames(value).filter((k) => !Object.prototype.propertyIsEnumerable.call(value, k) && !(array && k === 'length'));
  if (hidden.length > 0) {
    throw unencodable(ancestors, value, `a ${classNameOf(value, false)} instance with non-enumerable fields (${hidden.join(', ')})`);
  }
  const keys = array ? Object.keys(value).filter((k) => !/^(?:0|[1-9]\d*)$/.test(k)) : Object.keys(value);
  return `@${classNameOf(value, true)}${builtIn}${encodeFields('', value, ancestors, keys)}`;
}

function encodeBuiltInOrInstance(value: object, proto: object, ancestors: object[]): string {
  const builtIn = encodeBuiltIn(value, ancestors);
  // typed arrays and Buffer already name their class (their prototype chain is deeper)
  if (builtIn !== undefined) return ArrayBuffer.isView(value) || isBuiltInPrototype(proto) ? builtIn : encodeSubclass(value, builtIn, ancestors);
  return encodeInstance(value, proto, ancestors);
}

/** The encoding of a built-in value (Date, URL, RegExp, Map, Set, buffers, boxed primitives); undefined for anything else. */
function encodeBuiltIn(value: object, ancestors: object[]): string | undefined {
  // Built-ins are recognised by their tag, not instanceof, so values from another realm
  // (a vm context, a worker's structured clone) encode exactly like local ones.
  const tag = Object.prototype.toString.call(value);
  switch (tag) {
    case '[object Date]': {
      const time = (value as Date).getTime();
      return `Date(${Number.isNaN(time) ? 'NaN' : (value as Date).toISOString()})`;
    }
    case '[object URL]':
      return `URL(${quoted((value as URL).href)})`;
    case '[object URLSearchParams]':
      return `URLSearchParams(${quoted(String(value))})`;
    case '[object RegExp]':
      return `RegExp(${quoted((value as RegExp).source)},${(value as RegExp).flags})`;
    case '[object Map]': {
      const entries = [...(value as Map<unknown, unknown>)].map(([k, v]) => `${encodeNested(k, ancestors)}=>${encodeNested(v, ancestors)}`);
      return `Map{${entries.sort().join(',')}}`;
    }
    case '[object Set]':
      return `Set[${[...(value as Set<unknown>)].map((v) => encodeNested(v, ancestors)).sort().join(',')}]`;
    case '[object ArrayBuffer]':
    case '[object SharedArrayBuffer]':
      return `${tag.slice(8, -1)}(${Buffer.from(value as ArrayBuffer).toString('hex')})`;
    case '[object String]':
    case '[object Number]':
    case '[object Boolean]':
    case '[object BigInt]':
      return `Object(${encodeNested((value as { valueOf(): unknown }).valueOf(), ancestors)})`;
  }
  if (ArrayBuffer.isView(value)) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
    return `${tag.slice(8, -1) === 'DataView' ? 'DataView' : classNameOf(value, false)}(${bytes})`;
  }
  return undefined;
}

/** A plain object of another realm, or a class instance: its class, then its own enumerable fields (or what `toJSON()` says). */
function encodeInstance(value: object, proto: object, ancestors: object[]): string {
  const tag = Object.prototype.toString.call(value);
  // A plain object of another realm: its prototype is that realm's Object.prototype.
  const plain = Object.getPrototypeOf(proto) === null && typeof (proto as { hasOwnProperty?: unknown }).hasOwnProperty === 'function';
  const classTag = plain ? '' : `@${classNameOf(value, true)}`;
  // toJSON() is how a class says what it is (an ObjectId, a Decimal, a Money value), even an Error subclass.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return encodeToJson(value, classTag, ancestors);
  const opaque = OPAQUE[tag];
  if (opaque !== undefined) throw unencodable(ancestors, value, opaque);
  const keys = Object.keys(value);
  if (!plain) {
    const name = classNameOf(value, false);
    if (keys.length === 0) {
      throw unencodable(ancestors, value, `a ${name} instance with no own enumerable field (its state is private, inherited or native)`);
    }
    const hidden = Object.getOwnPropertyNames(value).filter((k) => !Object.prototype.propertyIsEnumerable.call(value, k));
    if (hidden.length > 0) {
      throw unencodable(ancestors, value, `a ${name} instance with non-enumerable fields (${hidden.join(', ')})`);
    }
  }
  return encodeFields(classTag, value, ancestors, keys);
}

/** An object that says what it is through `toJSON()`: its class tag, then the encoding of that. */
function encodeToJson(value: object, classTag: string, ancestors: object[]): string {
  let json: unknown;
  try {
    json = (value as { toJSON(key: string): unknown }).toJSON('');
  } catch (error) {
    throw unencodable(ancestors, value, `an object whose toJSON() threw (${(error as Error)?.message ?? String(error)})`, error);
  }
  return `${classTag}~${encodeNested(json, ancestors)}`;
}

function classNameOf(value: object, asJson: boolean): string {
  const name = (value.constructor as { name?: unknown } | undefined)?.name;
  const text = typeof name === 'string' && name !== '' ? name : 'anonymous';
  return asJson ? quoted(text) : text;
}

/** The error for `value`, found below the containers in `ancestors` (`pushed`: its own entry is the last of them). */
function unencodable(ancestors: readonly object[], value: unknown, what: string, cause?: unknown, pushed = true): UnencodableValueError {
  const containers = pushed && ancestors[ancestors.length - 1] === value ? ancestors.slice(0, -1) : ancestors;
  let path = '';
  for (let i = 0; i < containers.length; i++) path += stepTo(containers[i]!, i + 1 < containers.length ? containers[i + 1] : value);
  return new UnencodableValueError(what, path, cause === undefined ? undefined : { cause });
}

/** How `child` is reached from `parent`, as it reads in an error: `[2]`, `.user`, `["a b"]`, ` (a Map value)`. */
function stepTo(parent: object, child: unknown): string {
  if (parent instanceof Map) {
    for (const [k, v] of parent) {
      if (v === child) return `.get(${typeof k === 'string' || typeof k === 'number' ? JSON.stringify(k) : '...'})`;
      if (k === child) return ' (a Map key)';
    }
  } else if (parent instanceof Set) {
    return ' (a Set item)';
  } else {
    for (const k of Object.keys(parent)) {
      if ((parent as Record<string, unknown>)[k] !== child) continue;
      if (Array.isArray(parent)) return `[${k}]`;
      return /^[A-Za-z_$][\w$]*$/.test(k) ? `.${k}` : `[${JSON.stringify(k)}]`;
    }
  }
  return ' (toJSON() result)';
}
