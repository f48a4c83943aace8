import 'reflect-metadata';
import { Cacheable, WriteThrough, Invalidate, configureCache, type CacheStore } from '../../src/index.js';
import { Gate } from '../helpers/gate.js';
import { settle, until } from '../helpers/waiting.js';
import { storeFactories } from '../helpers/store-factories.js';

/**
 * The classic race: a miss reads the old row, a write (or invalidation) of the same key
 * completes, then the miss tries to store the old row. cachekit's lease (the generation the
 * miss read) makes that store a no-op, so the next read sees the new row.
 */
class Accounts {
  db = new Map<string, string>([['u1', 'old']]);
  /** When set, the next read of the database waits for it after reading. */
  readGate: Gate | undefined;
  reads = 0;

  @Cacheable({ namespace: 'account', key: (id: string) => id })
  async get(id: string) {
    this.reads++;
    const row = this.db.get(id);
    const gate = this.readGate;
    this.readGate = undefined;
    if (gate) await gate.opened;
    return row;
  }

  /** When set, the next write waits for it after writing the database. */
  writeGate: Gate | undefined;

  @WriteThrough({ namespace: 'account', key: (id: string) => id })
  async update(id: string, value: string) {
    this.db.set(id, value);
    const gate = this.writeGate;
    this.writeGate = undefined;
    if (gate) await gate.opened;
    return value;
  }

  @Invalidate({ namespace: 'account', key: (id: string) => id })
  async replace(id: string, value: string) {
    this.db.set(id, value);
  }

  @Invalidate({ namespace: 'account', allEntries: true })
  async replaceAll(value: string) {
    for (const id of this.db.keys()) this.db.set(id, value);
  }
}

describe.each(storeFactories())('a miss never stores over a newer write ($name)', ({ create }) => {
  let store: CacheStore;
  beforeEach(async () => {
    store = await create();
    configureCache({ store, prefix: `race-${Math.random().toString(36).slice(2)}` });
  });
  afterEach(() => store.close());

  it.each([
    ['@WriteThrough', (a: Accounts) => a.update('u1', 'new')],
    ['@Invalidate of the key', (a: Accounts) => a.replace('u1', 'new')],
    ['@Invalidate of the namespace', (a: Accounts) => a.replaceAll('new')],
  ] as const)('%s that completes while a miss is in flight wins', async (_name, write) => {
    const a = new Accounts();
    a.readGate = new Gate();
    const gate = a.readGate;
    const staleRead = a.get('u1'); // miss: reads 'old', then waits
    await until(() => a.reads === 1, 'the miss to read the database');
    await write(a); // the write completes while the miss holds 'old'
    gate.open();
    expect(await staleRead).toBe('old'); // that call started before the write: it may return the old row
    await settle();
    expect(await a.get('u1')).toBe('new'); // ...but it did not store it
    expect(await a.get('u1')).toBe('new');
  });

  it('two concurrent @WriteThrough calls never leave the older value cached', async () => {
    const a = new Accounts();
    a.writeGate = new Gate();
    const gate = a.writeGate;
    const first = a.update('u1', 'first'); // writes the database, then waits before caching
    await until(() => a.db.get('u1') === 'first', 'the first write to reach the database');
    await a.update('u1', 'second'); // database and cache now hold 'second'
    gate.open();
    expect(await first).toBe('first'); // its cache write sees the key changed and invalidates instead
    expect(await a.get('u1')).toBe('second');
    expect(await a.get('u1')).toBe('second');
  });
});
