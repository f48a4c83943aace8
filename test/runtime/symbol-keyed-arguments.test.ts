import { encodeArgs, encodeValue } from '../../src/runtime/stable-encoding.js';
import { KeyBuildError } from '../../src/errors.js';

// An enumerable symbol-keyed field is state the encoding cannot name stably (another process makes
// another symbol): two arguments differing only there must never share a key.
describe('stable encoding: symbol-keyed fields', () => {
  const tenant = Symbol('tenant');

  it('refuses an argument with an enumerable symbol-keyed field, naming where it is', () => {
    expect(() => encodeArgs(['x', { [tenant]: 'acme' }])).toThrow(KeyBuildError);
    expect(() => encodeArgs(['x', { [tenant]: 'acme' }])).toThrow(/argument 1 is an object with symbol-keyed fields \(Symbol\(tenant\)\)/);
    expect(() => encodeValue({ nested: { [tenant]: 1 } })).toThrow(/\.nested is an object with symbol-keyed fields/);
    class Scoped {
      name = 'n';
      [tenant] = 'globex';
    }
    expect(() => encodeValue(new Scoped())).toThrow(/symbol-keyed fields \(Symbol\(tenant\)\)/);
  });

  it('still encodes objects whose symbol-keyed fields are not enumerable', () => {
    const o = { a: 1 };
    Object.defineProperty(o, tenant, { value: 'hidden', enumerable: false });
    expect(encodeValue(o)).toBe('{"a":1}');
  });
});
