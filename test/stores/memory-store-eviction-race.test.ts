import 'reflect-metadata';
import { Cacheable, Invalidate, MemoryStore, WriteThrough, configureCache, type EvictionPolicy } from '../../src/index.js';
import { EVICTION_POLICIES } from '../../src/stores/memory/eviction/create-bounded-map.js';
import { Gate } from '../helpers/gate.js';
import { until } from '../helpers/waiting.js';

/**
 * A slow miss read "no entry" and loads the old row; meanwhile a write-through stores the new
 * row (or an invalidation its tombstone), and eviction churn pushes that newer entry out of a
 * small MemoryStore. The miss's populate must still see that the key changed since its lease:
 * the next read returns the new row, never the old one.
 */
class Products {
  db = new Map<string, string>([['hot', 'old']]);
  /** When set, the next load of 'hot' waits for it after reading the database. */
  gate: Gate | undefined;
  loads = 0;

  @Cacheable({ namespace: 'p', key: (id: string) => id })
  async get(id: string) {
    this.loads++;
    const row = this.db.get(id) ?? `row ${id}`;
    const gate = id === 'hot' ? this.gate : undefined;
    if (gate) {
      this.gate = undefined;
      await gate.opened;
    }
    return row;
  }

  @WriteThrough({ namespace: 'p', key: (id: string) => id })
  async update(id: string, value: string) {
    this.db.set(id, value);
    return value;
  }

  @Invalidate({ namespace: 'p', key: (id: string) => id })
  async rename(id: string, value: string) {
    this.db.set(id, value);
  }
}

describe.each(EVICTION_POLICIES.map((p) => [p] as [EvictionPolicy]))('MemoryStore (%s) under eviction churn', (policy) => {
  afterEach(() => configureCache());

  it.each([
    ['a write-through', 'update'],
    ['an invalidation (its tombstone)', 'rename'],
  ] as const)('never stores the row a slow miss loaded before %s whose entry was then evicted', async (_name, how) => {
    const store = new MemoryStore({ maxEntries: 64, policy });
    let evicted = false;
    const runtime = configureCache({ store, prefix: 'app' });
    runtime.events.on('evict', ({ key }) => (evicted ||= key === 'app:p:hot'));
    const products = new Products();
    const gate = new Gate();
    products.gate = gate;
    const slow = products.get('hot'); // reads "no entry", loads 'old', waits
    await until(() => products.loads === 1, 'the slow miss loaded the old row');
    if (how === 'update') expect(await products.update('hot', 'new')).toBe('new');
    else await products.rename('hot', 'new');
    expect((await store.read('app:p:hot', [])).entry).toMatchObject(how === 'update' ? { v: 'new' } : { d: 1 });
    // churn: other keys, each read several times (so frequency-based policies prefer them), until the newer entry is gone
    let churned = 0;
    for (; !evicted; churned++) {
      if (churned > 10_000) throw new Error('the entry of hot was never evicted');
      for (let r = 0; r < 4; r++) await products.get(`k${churned}`);
    }
    expect(products.loads).toBe(1 + churned); // each churn key loaded once: misses under churn are still cached
    gate.open();
    expect(await slow).toBe('old'); // it started before the write: its caller may see the old row
    expect(await products.get('hot')).toBe('new');
    expect(await products.get('hot')).toBe('new');
    expect(products.loads).toBe(2 + churned); // 'hot' loaded again once, then cached
  });
});
