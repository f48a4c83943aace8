import 'reflect-metadata';
import { Cacheable, WriteThrough, WriteBehind, Invalidate } from '../../src/index.js';

// Type tests: `npm test` type-checks this file in both decorator modes; each expected
// error below fails the build if the line it marks compiles.
describe('decorator types', () => {
  it('accept async methods and refuse methods that do not return a Promise', () => {
    class Svc {
      @Cacheable()
      async ok(id: string) {
        return id;
      }

      @WriteThrough()
      async save(n: number) {
        return n;
      }

      // @ts-expect-error @Cacheable needs a method that returns a Promise
      @Cacheable()
      sync(id: string) {
        return id;
      }

      // @ts-expect-error @Invalidate needs a method that returns a Promise
      @Invalidate({ allEntries: true })
      syncDrop() {
        return 1;
      }
    }
    expect(typeof new Svc().ok).toBe('function');
  });

  it('refuse a key function whose parameter types do not match the method', () => {
    class Svc {
      @Cacheable({ key: (id: string) => id })
      async ok(id: string) {
        return id;
      }

      // a key function may take fewer parameters than the method
      @WriteThrough({ key: (id: string) => id })
      async save(id: string, patch: { name: string }) {
        return { id, ...patch };
      }

      @Invalidate({ key: (ids: string[]) => ids })
      async dropMany(ids: string[]) {
        return ids.length;
      }

      @Cacheable({ key: 'user:{0}' })
      async byTemplate(id: string) {
        return id;
      }

      // @ts-expect-error the key function takes a number, the method a string
      @Cacheable({ key: (id: number) => id })
      async mismatch(id: string) {
        return id;
      }

      // @ts-expect-error the second parameter types differ
      @WriteThrough({ key: (id: string, version: number) => `${id}@${version}` })
      async mismatchSecond(id: string, version: string) {
        return id + version;
      }

      // @ts-expect-error @Invalidate checks the key function too
      @Invalidate({ key: (id: number) => id })
      async dropMismatch(id: string) {
        return id;
      }

      // @ts-expect-error @WriteBehind checks the key function too
      @WriteBehind({ key: (id: number) => id })
      async writeMismatch(id: string, n: number) {
        void id;
        void n;
      }
    }
    expect(typeof new Svc().ok).toBe('function');
  });
});
