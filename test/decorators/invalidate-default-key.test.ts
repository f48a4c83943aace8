import 'reflect-metadata';
import { Cacheable, CacheDefaults, Invalidate, configureCache, type CacheStore } from '../../src/index.js';
import type { CacheRuntime } from '../../src/runtime/cache-runtime.js';
import { storeFactories } from '../helpers/store-factories.js';

const rows = new Map<string, string>();
let reads = 0;

class Users {
  @Cacheable({ namespace: 'user' })
  async get(id: string, filter: { region: string; active: boolean }) {
    reads++;
    return `${rows.get(id) ?? 'none'}@${filter.region}`;
  }

  /** Same parameters, same namespace, no key: the same entry as `get`. */
  @Invalidate({ namespace: 'user' })
  async rename(id: string, filter: { region: string; active: boolean }) {
    void filter;
    rows.set(id, `${rows.get(id)}a`);
  }

  @Invalidate({ namespace: 'user', key: (id: string) => id })
  async renameByKeyFunction(id: string, name: string) {
    rows.set(id, name);
  }

  @Invalidate({ namespace: 'user', allEntries: false, tags: ['unused'] })
  async touchTagOnly(id: string, filter: { region: string; active: boolean }) {
    void id;
    void filter;
  }
}

@CacheDefaults({ namespace: 'product' })
class Products {
  @Cacheable()
  async get(id: number) {
    reads++;
    return rows.get(String(id)) ?? 'none';
  }

  /** No options at all: the class namespace and the default key of its arguments. */
  @Invalidate()
  async remove(id: number) {
    rows.delete(String(id));
  }

  /** Two arguments: its default key is not `get(id)`'s. */
  @Invalidate()
  async rename(id: number, name: string) {
    rows.set(String(id), name);
  }
}

describe.each(storeFactories().filter((f) => f.name !== 'TieredStore'))('@Invalidate without key drops the default key ($name)', ({ create }) => {
  let store: CacheStore;
  let runtime: CacheRuntime;
  beforeEach(async () => {
    store = await create();
    runtime = configureCache({ store, prefix: `inv-default-${Date.now()}-${Math.random()}` });
    rows.clear();
    reads = 0;
  });
  afterEach(() => runtime.close());

  it('addresses the entry @Cacheable({ namespace }) wrote for the same arguments, and only it', async () => {
    const users = new Users();
    rows.set('u1', 'ann');
    rows.set('u2', 'bob');
    expect(await users.get('u1', { region: 'eu', active: true })).toBe('ann@eu');
    expect(await users.get('u2', { region: 'eu', active: true })).toBe('bob@eu');
    expect(await users.get('u1', { region: 'us', active: true })).toBe('ann@us');
    expect(reads).toBe(3);

    // the object argument's key order does not matter
    await users.rename('u1', { active: true, region: 'eu' });
    expect(await users.get('u1', { region: 'eu', active: true })).toBe('anna@eu'); // dropped: reloaded
    expect(await users.get('u2', { region: 'eu', active: true })).toBe('bob@eu'); // other id: still cached
    expect(await users.get('u1', { region: 'us', active: true })).toBe('ann@us'); // other filter: still cached
    expect(reads).toBe(4);
  });

  it('with no options at all, uses the class namespace and the default key', async () => {
    const products = new Products();
    rows.set('7', 'lamp');
    expect(await products.get(7)).toBe('lamp');
    expect(await products.get(7)).toBe('lamp');
    expect(reads).toBe(1);
    await products.rename(7, 'desk');
    expect(await products.get(7)).toBe('lamp');
    expect(reads).toBe(1);
    await products.remove(7);
    expect(await products.get(7)).toBe('none');
    expect(reads).toBe(2);
  });

  it('drops nothing by key when allEntries or tags say what to drop', async () => {
    const users = new Users();
    rows.set('u1', 'ann');
    expect(await users.get('u1', { region: 'eu', active: true })).toBe('ann@eu');
    rows.set('u1', 'anna');
    await users.touchTagOnly('u1', { region: 'eu', active: true });
    expect(await users.get('u1', { region: 'eu', active: true })).toBe('ann@eu');
    expect(reads).toBe(1);
  });
});
