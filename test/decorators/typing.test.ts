import 'reflect-metadata';
import { Cacheable, WriteThrough, Invalidate } from '../../src/index.js';

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
});
