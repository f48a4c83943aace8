import { Packr, addExtension } from 'msgpackr';
import { SerializationError } from './errors.js';

/** Turns values into bytes and back, for stores that keep bytes (Redis). */
export interface Serializer {
  /** A short name, e.g. `'msgpack'`, `'json'`. */
  readonly name: string;
  /** Encodes a value. May throw for values it cannot encode. */
  serialize(value: unknown): Buffer | string;
  /** Decodes bytes written by `serialize`. Throws a SerializationError on corrupt or foreign bytes. */
  deserialize(data: Buffer): unknown;
}

/** A Map on its way into MessagePack: msgpackr writes a Map as a plain msgpack map, which reads back as an object. */
class PackedMap {
  constructor(readonly entries: Array<[unknown, unknown]>) {}
}
addExtension({ Class: PackedMap, type: 0x4d, write: (map: PackedMap) => map.entries, read: (entries: Array<[unknown, unknown]>) => new Map(entries) });

/** `value` with every Map inside replaced by a PackedMap; the same reference when it holds no Map. */
function packMaps(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
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
 * The default serializer: MessagePack (msgpackr), so `Date`, `Map`, `Set`, `BigInt` and
 * `undefined` inside objects and arrays round-trip. Objects are written as plain msgpack maps
 * (no record definitions to rebuild on every read: decoding costs half) and Maps as an
 * extension of their own. Messages are self-contained, so processes share no state. Decoded
 * objects are plain: a `__proto__` key never changes a prototype.
 */
export class MsgpackSerializer implements Serializer {
  readonly name = 'msgpack';
  private readonly packr = new Packr({ moreTypes: true, useRecords: false, mapsAsObjects: true, int64AsType: 'bigint' });

  serialize(value: unknown): Buffer {
    return this.packr.pack(packMaps(value));
  }

  deserialize(data: Buffer): unknown {
    try {
      return this.packr.unpack(data);
    } catch (error) {
      throw new SerializationError('cannot decode cached bytes as MessagePack', { cause: error });
    }
  }
}

/** JSON, for interoperability with other readers of the cache; `Date`, `Map`, `Set`, `BigInt` do not round-trip. */
export class JsonSerializer implements Serializer {
  readonly name = 'json';

  serialize(value: unknown): string {
    return JSON.stringify(value);
  }

  deserialize(data: Buffer): unknown {
    try {
      return JSON.parse(data.toString('utf8'), (key, value) => (key === '__proto__' ? undefined : value));
    } catch (error) {
      throw new SerializationError('cannot decode cached bytes as JSON', { cause: error });
    }
  }
}
