import { Packr } from 'msgpackr';
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

/**
 * The default serializer: MessagePack (msgpackr) with structured extensions, so `Date`,
 * `Map`, `Set`, `BigInt`, `undefined` inside objects and arrays round-trip. Each message is
 * self-describing (record definitions travel inline), so processes share no state. Decoded
 * objects are plain: a `__proto__` key never changes a prototype.
 */
export class MsgpackSerializer implements Serializer {
  readonly name = 'msgpack';
  private readonly packr = new Packr({ moreTypes: true, mapsAsObjects: false, int64AsType: 'bigint' });

  serialize(value: unknown): Buffer {
    return this.packr.pack(value);
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
