import 'reflect-metadata';
import { Cacheable, WriteThrough, WriteBehind, Invalidate, errors } from '../../src/index.js';

/** Drops a decorator's type, to apply it where the types (rightly) refuse it, in either mode. */
const untyped = (decorator: unknown): any => decorator;

describe('decorator misuse fails when the class is defined', () => {
  it('refuses two caching decorators on one method', () => {
    expect(() => {
      class Svc {
        @Cacheable()
        @WriteThrough()
        async m() {
          return 1;
        }
      }
      return Svc;
    }).toThrow(new errors.DecoratorUsageError("@Cacheable conflicts with @WriteThrough on 'm': a method takes one of @Cacheable, @CacheableMany, @WriteThrough, @WriteBehind (add @Invalidate freely)"));
  });

  it('refuses @Cacheable twice on one method', () => {
    expect(() => {
      class Svc {
        @Cacheable()
        @Cacheable()
        async m() {
          return 1;
        }
      }
      return Svc;
    }).toThrow(errors.DecoratorUsageError);
  });

  it('refuses a getter', () => {
    expect(() => {
      class Svc {
        @untyped(Cacheable())
        get value() {
          return 1;
        }
      }
      return Svc;
    }).toThrow(/@Cacheable can only decorate methods; 'value' is a getter/);
  });

  it('refuses a field', () => {
    expect(() => {
      class Svc {
        @untyped(WriteBehind())
        value = 1;
      }
      return new Svc();
    }).toThrow(/@WriteBehind can only decorate methods; 'value' is a field/);
  });

  it('wraps a method once, whatever the number of cachekit decorators', () => {
    class Svc {
      @Invalidate({ key: () => 'a' })
      @Invalidate({ key: () => 'b' })
      @Cacheable()
      async m() {
        return 1;
      }
    }
    expect(Svc.prototype.m.name).toBe('m');
    expect(Object.getOwnPropertyNames(Svc.prototype)).toEqual(['constructor', 'm']);
  });

  it('caches static methods with the class as this', async () => {
    let calls = 0;
    class Repo {
      static table = 'users';
      @Cacheable()
      static async count() {
        calls++;
        return `${this.table}:3`;
      }
    }
    expect(await Repo.count()).toBe('users:3');
    expect(await Repo.count()).toBe('users:3');
    expect(calls).toBe(1);
  });
});
