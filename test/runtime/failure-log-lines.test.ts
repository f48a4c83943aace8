/**
 * The default `onError` (a warning through the logger): a write whose cache side failed is
 * logged as a write naming its step (issue 17 item 3), and the per-code rate limit says how many
 * warnings it held back, also at close.
 */
import { WriteThrough, WriteBehind, configureCache, MemoryStore, type CacheRuntime, type ErrorContext } from '../../src/index.js';
import { chaosStore } from 'cachekit/testing';

let runtime: CacheRuntime | undefined;
afterEach(async () => {
  jest.restoreAllMocks();
  await runtime?.close();
  runtime = undefined;
  configureCache();
});

/** An error with a stable code, like cachekit's own. */
const coded = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('a failed cache write is logged as a write, naming its step', () => {
  class Repo {
    @WriteThrough({ namespace: 'row', key: (id: string) => id })
    async save(id: string): Promise<string> {
      return `row-${id}`;
    }
    @WriteBehind({ namespace: 'queued', key: (id: string) => id })
    async queue(_id: string): Promise<void> {}
  }

  it('@WriteThrough whose lease read fails (store down): operation write, step write-through lease read', async () => {
    const store = chaosStore(new MemoryStore());
    const contexts: ErrorContext[] = [];
    runtime = configureCache({ store, prefix: 'ft', onError: (_e, context) => void contexts.push(context) });
    store.mode('throw');
    expect(await new Repo().save('a')).toBe('row-a');
    expect(contexts[0]).toEqual({ operation: 'write', method: 'Repo.save', key: 'ft:row:a', step: 'write-through lease read' });
    // the key is then invalidated (retried): that is an invalidation
    expect(contexts.slice(1).map((c) => c.operation)).toEqual(['invalidate']);
  });

  it('the default warning says "write failed ... (write-through lease read)", not "read failed"', async () => {
    const store = chaosStore(new MemoryStore());
    const warned: string[] = [];
    runtime = configureCache({ store, prefix: 'ft', logger: { warn: (m: string) => void warned.push(m) } });
    store.mode('throw');
    await new Repo().save('a');
    expect(warned[0]).toBe('cachekit: write failed in Repo.save (write-through lease read): chaos: store unavailable');
  });

  it('@WriteBehind whose versions read fails: operation write, step write-behind pending entry', async () => {
    const store = chaosStore(new MemoryStore());
    const contexts: ErrorContext[] = [];
    runtime = configureCache({ store, prefix: 'fb', onError: (_e, context) => void contexts.push(context) });
    store.mode('throw');
    await new Repo().queue('a');
    expect(contexts[0]).toEqual({ operation: 'write', method: 'Repo.queue', key: 'fb:queued:a', step: 'write-behind pending entry' });
    expect(contexts.every((c) => c.operation !== 'read')).toBe(true);
    store.mode('ok');
  });

  it('runtime.cache().set whose store fails: operation write, step set', async () => {
    const store = chaosStore(new MemoryStore());
    const contexts: ErrorContext[] = [];
    runtime = configureCache({ store, prefix: 'fs', onError: (_e, context) => void contexts.push(context) });
    store.mode('throw');
    await expect(runtime.cache('n').set('a', 1)).rejects.toThrow("runtime.cache('n').set: the store did not take 'fs:n:a'");
    expect(contexts[0]).toEqual({ operation: 'write', method: 'cache(n)', key: 'fs:n:a', step: 'set' });
  });
});

describe('the per-code rate limit of the default warning', () => {
  it('says how many it held back since the last line, per code, and logs those still held back at close', async () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const warned: string[] = [];
    runtime = configureCache({ store: new MemoryStore(), logger: { warn: (m: string) => void warned.push(m) } });
    const read = { operation: 'read', method: 'A.get' };
    runtime.report(coded('E_STORE', 'down 1'), read);
    now += 1_000;
    runtime.report(coded('E_STORE', 'down 2'), read);
    runtime.report(coded('E_OTHER', 'other 1'), read); // another code has its own window
    now += 1_000;
    runtime.report(coded('E_STORE', 'down 3'), read);
    now += 59_000; // 61 s after the first line
    runtime.report(coded('E_STORE', 'down 4'), read);
    now += 5_000;
    runtime.report(coded('E_STORE', 'down 5'), read);
    runtime.report(coded('E_STORE', 'down 6'), read);
    now += 4_000;
    await runtime.close();
    runtime = undefined;
    expect(warned).toEqual([
      'cachekit: read failed in A.get: down 1',
      'cachekit: read failed in A.get: other 1',
      'cachekit: read failed in A.get: down 4 (2 more like this in the last 61 s were not logged)',
      'cachekit: read failed in A.get: down 6 (2 like this in the last 9 s were not logged; this is the newest, logged at close)',
    ]);
  });

  it('a line after a quiet minute carries no count', () => {
    let now = 1_000_000;
    jest.spyOn(Date, 'now').mockImplementation(() => now);
    const warned: string[] = [];
    runtime = configureCache({ store: new MemoryStore(), logger: { warn: (m: string) => void warned.push(m) } });
    runtime.report(coded('E_STORE', 'down 1'), { operation: 'read' });
    now += 60_000;
    runtime.report(coded('E_STORE', 'down 2'), { operation: 'read' });
    expect(warned).toEqual(['cachekit: read failed: down 1', 'cachekit: read failed: down 2']);
  });
});
