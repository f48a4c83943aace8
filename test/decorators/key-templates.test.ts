import 'reflect-metadata';
import { Cacheable, Invalidate, WriteThrough, WriteBehind, configureCache, MemoryStore, errors } from '../../src/index.js';
import { compileKey } from '../../src/runtime/keys.js';
import { methodParameters } from '../../src/decorators/method-parameters.js';

describe('key templates are checked when the decorator is applied', () => {
  it.each([
    ['user:{x}', "unknown placeholder '{x}'"],
    ['user:{}', "unknown placeholder '{}'"],
    ['user:{0.}', "unknown placeholder '{0.}'"],
    ['user:{0', "stray '{' (write '{{' for a literal brace)"],
    ['user:0}', "stray '}' (write '}}' for a literal brace)"],
    ['{0}{1}', 'put a separator between {0} and {1}'],
    ['{0}x{1}', "the text between {0} and {1} must start with a separator such as ':' or '-', not 'x'"],
    ['{0}%{1}', "the text between {0} and {1} must start with a separator such as ':' or '-', not '%'"],
  ])('refuses %s with a TypeError', (template, message) => {
    expect(() => Cacheable({ key: template })).toThrow(TypeError);
    expect(() => Cacheable({ key: template })).toThrow(`@Cacheable: key template '${template}': ${message}`);
    expect(() => Invalidate({ key: template })).toThrow(`@Invalidate: key template '${template}'`);
  });

  it('refuses a placeholder that reads an argument the method does not declare, on every decorator', () => {
    expect(() => {
      class Users {
        @Cacheable({ key: 'user:{1}' })
        async get(id: string) {
          return id;
        }
      }
      return Users;
    }).toThrow(new TypeError("@Cacheable: key template 'user:{1}' reads argument 1 ({1}), but 'get' declares 1 parameter (indexes 0..0)"));
    expect(() => {
      class Users {
        @Invalidate({ key: '{0}:{2.id}' })
        async drop(a: string, b: string) {
          return a + b;
        }
      }
      return Users;
    }).toThrow("@Invalidate: key template '{0}:{2.id}' reads argument 2 ({2.id}), but 'drop' declares 2 parameters (indexes 0..1)");
    expect(() => {
      class Users {
        @WriteThrough({ key: '{0}' })
        async reset() {
          return 1;
        }
      }
      return Users;
    }).toThrow("@WriteThrough: key template '{0}' reads argument 0 ({0}), but 'reset' declares no parameters");
    expect(() => {
      class Users {
        @WriteBehind({ key: 'u:{3}' })
        async save(id: string, value: number) {
          void id;
          void value;
        }
      }
      return Users;
    }).toThrow("@WriteBehind: key template 'u:{3}' reads argument 3");
  });

  it('counts default and rest parameters, which method.length leaves out', async () => {
    configureCache({ store: new MemoryStore() });
    class Search {
      calls = 0;
      @Cacheable({ key: 'q:{0}:{1.page}' })
      async find(q: string, options: { page: number } = { page: 1 }) {
        this.calls++;
        return `${q}@${options.page}`;
      }

      @Cacheable({ key: 'ids:{0}:{3}' })
      async many(...ids: string[]) {
        this.calls++;
        return ids.join('+');
      }
    }
    expect(Search.prototype.find.length).toBe(1);
    const s = new Search();
    expect(await s.find('a', { page: 2 })).toBe('a@2');
    expect(await s.find('a', { page: 2 })).toBe('a@2');
    expect(await s.many('a', 'b', 'c', 'd')).toBe('a+b+c+d');
    expect(s.calls).toBe(2);
    // the default value is not part of the call's arguments: the path resolves to undefined
    await expect(s.find('a')).rejects.toThrow(new errors.KeyBuildError(
      'key template placeholder {1.page}: argument 1 is undefined; a placeholder inserts a string, a finite number, a boolean or a bigint (use a key function, or no key for the stable encoding of the arguments)',
    ));
    expect(() => {
      class Late {
        @Cacheable({ key: '{0}:{2}' })
        async get(a: string, b = 'x') {
          return a + b;
        }
      }
      return Late;
    }).toThrow("declares 2 parameters (indexes 0..1)");
  });

  it('reads parameters past a regular expression in a default value, and accepts every index when the source shows none (a bound or native function, a downlevelled rest parameter)', () => {
    expect(methodParameters(function (a = /\)/, b?: string) { return String(a) + b; })).toEqual({ count: 2, rest: false });
    expect(methodParameters(function (a = /[/,]/g, b = 1 / 2, c?: number) { return [a, b, c]; })).toEqual({ count: 3, rest: false });
    expect(methodParameters(function (...ids: string[]) { return ids; }.bind(null))).toEqual({ count: 0, rest: true });
    expect(methodParameters(Math.max)).toEqual({ count: 2, rest: true });
    // what tsc emits for `(...ids)` when targeting ES5
    expect(methodParameters(new Function('var ids = []; for (var i = 0; i < arguments.length; i++) ids[i] = arguments[i]; return ids;'))).toEqual({ count: 0, rest: true });
    class Regex {
      @Cacheable({ key: 'u:{1}' })
      async g(a = /\)/, b?: string) {
        return String(a) + b;
      }
    }
    expect(typeof Regex.prototype.g).toBe('function');
  });

  it('raises KeyBuildError at call time, before the method runs, when a path resolves to undefined or null', async () => {
    configureCache({ store: new MemoryStore() });
    let ran = 0;
    class Orders {
      @Cacheable({ key: 'order:{0.customer.id}' })
      async get(order: { customer?: { id?: string } | null }) {
        ran++;
        return order;
      }
    }
    const o = new Orders();
    await expect(o.get({})).rejects.toThrow('key template placeholder {0.customer.id}: argument 0.customer is undefined');
    await expect(o.get({ customer: null })).rejects.toThrow('key template placeholder {0.customer.id}: argument 0.customer is null');
    await expect(o.get({ customer: {} })).rejects.toThrow('key template placeholder {0.customer.id}: argument 0.customer.id is undefined');
    await expect(o.get({ customer: { id: { x: 1 } as never } })).rejects.toBeInstanceOf(errors.KeyBuildError);
    expect(ran).toBe(0);
  });

  it('escapes inserted values, so parts that contain the separator never make another call\'s key', async () => {
    configureCache({ store: new MemoryStore() });
    const calls: string[] = [];
    class Pairs {
      @Cacheable({ key: '{0}:{1}' })
      async get(a: string, b: string) {
        calls.push(`${a}|${b}`);
        return `${a}|${b}`;
      }
    }
    const p = new Pairs();
    expect(await p.get('a:b', 'c')).toBe('a:b|c');
    expect(await p.get('a', 'b:c')).toBe('a|b:c');
    expect(await p.get('a%3Ab', 'c')).toBe('a%3Ab|c');
    expect(await p.get('a:b', 'c')).toBe('a:b|c');
    expect(calls).toEqual(['a:b|c', 'a|b:c', 'a%3Ab|c']);
    const key = compileKey('{0}:{1}-{2}', 'p:n');
    expect(key(['a:b', 'c', 'd'])).toBe('p:n:a%3Ab:c-d');
    expect(key(['a', 'b:c', 'd'])).toBe('p:n:a:b%3Ac-d');
    expect(key(['a', 'b-c', 'd'])).toBe('p:n:a:b%2Dc-d');
    expect(key(['a%', 'b→', 'd'])).toBe('p:n:a%25:b→-d');
    // one placeholder: nothing to escape, so it matches the key function `(id) => 'user:' + id`
    expect(compileKey('user:{0}', 'p:n')(['a:b%'])).toBe('p:n:user:a:b%');
    expect(compileKey('{{{0}}}', 'p:n')(['x'])).toBe('p:n:{x}');
  });

  it('inserts strings and numbers alike (as a key function does) and refuses objects', () => {
    const key = compileKey('item:{0}', 'p:n');
    expect(key([7])).toBe(key(['7']));
    expect(key([true])).toBe('p:n:item:true');
    expect(key([12n])).toBe('p:n:item:12');
    expect(() => key([{ id: 1 }])).toThrow('key template placeholder {0}: argument 0 is {"id":1} (object)');
    expect(() => key([NaN])).toThrow('argument 0 is NaN (number)');
  });
});

describe('key function results', () => {
  it('are used verbatim; an array means several keys on @Invalidate and is refused elsewhere', async () => {
    configureCache({ store: new MemoryStore() });
    class Svc {
      @Cacheable({ key: (a: string, b: string) => [a, b] as never })
      async get(a: string, b: string) {
        return a + b;
      }
    }
    await expect(new Svc().get('a', 'b')).rejects.toThrow(
      `key function must return a string or a finite number; got ["a","b"] (object); to build one key from several parts use a template like '{0}:{1}' (its parts are escaped)`,
    );
    const many = compileKey((k: unknown) => k as string[], 'p:n', true);
    expect(many([['a', 'b']])).toEqual(['p:n:a', 'p:n:b']);
    expect(many(['a:b'])).toBe('p:n:a:b');
  });
});
