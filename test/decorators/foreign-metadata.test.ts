import 'reflect-metadata';
import { Cacheable, Invalidate, configureCache, MemoryStore } from '../../src/index.js';

/**
 * A decorator of another library that records reflect-metadata (and a plain property) on the
 * method function, in whichever TypeScript mode this file is compiled: standard mode passes
 * `(method, context)`, legacy mode `(target, key, descriptor)`.
 */
function Tag(value: string): (...params: any[]) => void {
  return function (...params: unknown[]): void {
    const [first, , third] = params;
    const method = (third as PropertyDescriptor | undefined)?.value ?? first;
    Reflect.defineMetadata('test:tag', value, method as object);
    (method as { tagged?: string }).tagged = value;
  };
}

describe('metadata of other decorators survives cachekit decorators (both TypeScript modes)', () => {
  beforeEach(() => configureCache({ store: new MemoryStore() }));

  it('keeps metadata recorded below ours (applied before) and above ours (applied after)', async () => {
    class Svc {
      calls = 0;

      @Cacheable()
      @Tag('below')
      async below(id: string) {
        this.calls++;
        return id;
      }

      @Tag('above')
      @Cacheable()
      async above(id: string) {
        this.calls++;
        return id;
      }

      @Tag('top')
      @Invalidate({ allEntries: true })
      @Cacheable()
      @Tag('bottom')
      async between(id: string) {
        this.calls++;
        return id;
      }
    }
    const proto = Svc.prototype;
    expect(Reflect.getMetadata('test:tag', proto.below)).toBe('below');
    expect((proto.below as unknown as { tagged: string }).tagged).toBe('below');
    expect(Reflect.getMetadata('test:tag', proto.above)).toBe('above');
    // the later decorator wins, as without cachekit
    expect(Reflect.getMetadata('test:tag', proto.between)).toBe('top');
    const svc = new Svc();
    expect([await svc.below('a'), await svc.below('a'), await svc.above('b'), await svc.above('b')]).toEqual(['a', 'a', 'b', 'b']);
    expect(svc.calls).toBe(2);
  });
});
