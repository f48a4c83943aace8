import { Packr, addExtension } from 'msgpackr';
import { SerializationError } from './errors.js';
import { hasRegisteredClasses, isClassInstance, registeredName, reviveInstance } from './value-classes.js';

/** Turns values into bytes and back, for stores that keep bytes (Redis). */
export interface Serializer {
  /** A short name, e.g. `'msgpack'`, `'json'`. */
  readonly name: string;
  /** Encodes a value. May throw for values it cannot encode. */
  serialize(value: unknown): Buffer | string;
  /** Decodes bytes written by `serialize`. Throws a SerializationError on corrupt or foreign bytes. */
  deserialize(data: Buffer): unknown;
  /**
   * Optional: decodes the bytes of `data` from `start` to its end, like
   * `deserialize(data.subarray(start))` but free to skip that view (a store calls it for a
   * value that sits behind a header).
   */
  deserializeFrom?(data: Buffer, start: number): unknown;
}

/** Values up to this size are decoded from the serializer's own scratch copy (see MsgpackSerializer.deserializeFrom). */
const SCRATCH_BYTES = 16 * 1024;

/** A Map on its way into MessagePack: msgpackr writes a Map as a plain msgpack map, which reads back as an object. */
class PackedMap {
  constructor(readonly entries: Array<[unknown, unknown]>) {}
}
addExtension({ Class: PackedMap, type: 0x4d, write: (map: PackedMap) => map.entries, read: (entries: Array<[unknown, unknown]>) => new Map(entries) });

/** An instance of a registered class on its way into MessagePack: its wire name and fields; read back as an instance. */
class PackedInstance {
  constructor(
    readonly name: string,
    readonly fields: Record<string, unknown>,
  ) {}
}
addExtension({
  Class: PackedInstance,
  type: 0x43,
  write: (instance: PackedInstance) => [instance.name, instance.fields],
  read: ([name, fields]: [string, unknown]) => reviveInstance(name, fields),
});

/**
 * `value` with every Map inside replaced by a PackedMap and every instance of a registered class
 * by a PackedInstance; the same reference when it holds neither.
 */
function packMaps(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (hasRegisteredClasses() && isClassInstance(value)) {
    const name = registeredName(value.constructor);
    if (name !== undefined) {
      const fields: Record<string, unknown> = {};
      for (const key of Object.keys(value)) fields[key] = packMaps((value as Record<string, unknown>)[key]);
      return new PackedInstance(name, fields);
    }
  }
  if (value instanceof Map) return new PackedMap([...value].map(([k, v]) => [packMaps(k), packMaps(v)]));
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const packed = packMaps(value[i]);
      if (packed !== value[i]) (copy ??= value.slice())[i] = packed;
    }
    return copy ?? value;
  }
  if (value instanceof Set) {
    const original = [...value];
    const items = original.map(packMaps);
    return items.some((item, i) => item !== original[i]) ? new Set(items) : value;
  }
  if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof RegExp || value instanceof Error) return value;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    const packed = packMaps(field);
    if (packed !== field) (copy ??= { ...(value as Record<string, unknown>) })[key] = packed;
  }
  return copy ?? value;
}

/**
 * The default serializer: MessagePack (msgpackr), so `Date`, `Map`, `Set`, `BigInt`,
 * `undefined` inside objects and arrays, and instances of the classes registered with
 * `configureCache({ classes })` round-trip. Objects are written as plain msgpack maps
 * (no record definitions to rebuild on every read: decoding costs half) and Maps as an
 * extension of their own. Messages are self-contained, so processes share no state. Decoded
 * objects are plain: a `__proto__` key never changes a prototype.
 */
export class MsgpackSerializer implements Serializer {
  readonly name = 'msgpack';
  // copyBuffers: a decoded Buffer or typed array owns its bytes (never a view of the input,
  // which may be the scratch copy below, or a reply buffer of the Redis client).
  private readonly packr = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true, int64AsType: 'bigint', copyBuffers: true });
  /** Where small values are copied to be decoded: msgpackr builds a DataView per new input buffer, and keeps the one it built for this. */
  private scratch: Buffer | undefined;

  serialize(value: unknown): Buffer {
    return this.packr.pack(packMaps(value));
  }

  deserialize(data: Buffer): unknown {
    return this.deserializeFrom(data, 0);
  }

  /**
   * Decodes `data` from `start`. A value of up to 16 KiB is first copied into a scratch buffer
   * of the serializer's own: a copy (one memcpy) costs less than the DataView msgpackr would
   * otherwise build for each fresh buffer, which shows on the Redis hit path.
   */
  deserializeFrom(data: Buffer, start: number): unknown {
    try {
      if (data.length > SCRATCH_BYTES) return this.packr.unpack(data, { start });
      const scratch = (this.scratch ??= Buffer.alloc(SCRATCH_BYTES));
      scratch.set(data, 0);
      return this.packr.unpack(scratch, { start, end: data.length });
    } catch (error) {
      throw new SerializationError('cannot decode cached bytes as MessagePack', { cause: error });
    }
  }
}

/** The JSON field that marks an instance of a registered class: `{ "@cachekit:class": "Order", "fields": {..} }`. */
const CLASS_FIELD = '@cachekit:class';

/**
 * JSON, for interoperability with other readers of the cache; `Date`, `Map`, `Set`, `BigInt` do
 * not round-trip (a Date reads back as its ISO string). Instances of classes registered with
 * `configureCache({ classes })` are written as `{ "@cachekit:class": "Order", "fields": {..} }`
 * and read back as instances.
 */
export class JsonSerializer implements Serializer {
  readonly name = 'json';

  serialize(value: unknown): string {
    if (!hasRegisteredClasses()) return JSON.stringify(value);
    return JSON.stringify(value, function (this: Record<string, unknown>, key, replaced: unknown) {
      const raw = this[key];
      if (typeof raw !== 'object' || raw === null || raw !== replaced || !isClassInstance(raw)) return replaced;
      const name = registeredName(raw.constructor);
      return name === undefined ? replaced : { [CLASS_FIELD]: name, fields: { ...raw } };
    });
  }

  deserialize(data: Buffer): unknown {
    try {
      return JSON.parse(data.toString('utf8'), (key, value: unknown) => {
        if (key === '__proto__') return undefined;
        if (typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[CLASS_FIELD] === 'string') {
          return reviveInstance((value as Record<string, string>)[CLASS_FIELD]!, (value as { fields?: unknown }).fields);
        }
        return value;
      });
    } catch (error) {
      throw new SerializationError('cannot decode cached bytes as JSON', { cause: error });
    }
  }
}
