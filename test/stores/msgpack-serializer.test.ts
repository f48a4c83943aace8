import { MsgpackSerializer, SerializationError } from '../../src/index.js';

const values: Array<[string, unknown]> = [
  ['a small object', { id: 'product-1', name: 'Product 1', price: 101 }],
  ['rich types', { at: new Date(1_700_000_000_000), m: new Map<unknown, unknown>([['k', new Set([1n, 2n])]]), u: [undefined, null, 'é€'] }],
  ['a long string (decoded natively by msgpackr)', { text: 'lorem ipsum '.repeat(40) }],
  ['bytes', { raw: Buffer.from([1, 2, 3]), typed: new Uint8Array([4, 5]) }],
  ['a value over 16 KiB', { big: 'x'.repeat(20_000), list: Array.from({ length: 500 }, (_, i) => i) }],
];

describe('MsgpackSerializer.deserializeFrom (decoding a value behind a header)', () => {
  const serializer = new MsgpackSerializer();
  const header = Buffer.from('header--');

  it.each(values)('decodes %s exactly as deserialize() of the same bytes does', (_name, value) => {
    const data = Buffer.concat([header, serializer.serialize(value)]);
    const expected = serializer.deserialize(data.subarray(header.length));
    expect(serializer.deserializeFrom(data, header.length)).toEqual(expected);
    expect(expected).toEqual(value);
  });

  it('hands out bytes that are its own: later decodes and changes to the input leave them alone', () => {
    const data = Buffer.concat([header, serializer.serialize({ raw: Buffer.from([1, 2, 3]) })]);
    const first = serializer.deserializeFrom(data, header.length) as { raw: Buffer };
    data.fill(0, header.length);
    serializer.deserializeFrom(Buffer.concat([header, serializer.serialize({ raw: Buffer.from([9, 9, 9]) })]), header.length);
    expect([...first.raw]).toEqual([1, 2, 3]);
  });

  it('fails with a SerializationError on bytes that are not MessagePack', () => {
    const corrupt = Buffer.concat([header, Buffer.from([0xc1, 0xc1])]);
    expect(() => serializer.deserializeFrom(corrupt, header.length)).toThrow(SerializationError);
    expect(() => serializer.deserializeFrom(corrupt, header.length)).toThrow('cannot decode cached bytes as MessagePack');
  });
});
