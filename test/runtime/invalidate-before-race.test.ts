import 'reflect-metadata';
import { Cacheable, Invalidate, configureCache, type CacheStore } from '../../src/index.js';
import { Gate } from '../helpers/gate.js';
import { until } from '../helpers/waiting.js';
import { storeFactories } from '../helpers/store-factories.js';

/**
 * `@Invalidate({ when: 'before' })` drops the key before the method runs. A miss that starts
 * after that drop, while the method is still running, reads the old row and holds the drop's
 * tombstone as its lease, so its populate succeeds: without a second drop once the method
 * settled, the old row would be served after the call resolved.
 */
class Prices {
  db = new Map<string, number>([['p', 1]]);
  /** When set, the next write waits for it before writing the database. */
  writeGate: Gate | undefined;
  writing = 0;

  @Cacheable({ namespace: 'price', key: (id: string) => id })
  async get(id: string) {
    return this.db.get(id);
  }

  @Invalidate({ namespace: 'price', key: (id: string) => id, when: 'before' })
  async setBefore(id: string, value: number) {
    await this.held();
    this.db.set(id, value);
  }

  @Invalidate({ namespace: 'price', key: (id: string) => id, when: 'always' })
  async setAlways(id: string, value: number) {
    await this.held();
    this.db.set(id, value);
    throw new Error('the method failed after its database write');
  }

  private async held() {
    this.writing++;
    const gate = this.writeGate;
    this.writeGate = undefined;
    if (gate) await gate.opened;
  }
}

describe.each(storeFactories())("@Invalidate when 'before' / 'always' against a concurrent miss ($name)", ({ create }) => {
  let store: CacheStore;
  beforeEach(async () => {
    store = await create();
    configureCache({ store, prefix: `inv-${Math.random().toString(36).slice(2)}` });
  });
  afterEach(() => store.close());

  it.each([
    ["'before'", (p: Prices) => p.setBefore('p', 2)],
    ["'always' (the method throws)", (p: Prices) => p.setAlways('p', 2).catch(() => 'rejected')],
  ] as const)('%s: a miss that loads the old row while the method runs does not keep it after the call', async (_name, write) => {
    const p = new Prices();
    expect(await p.get('p')).toBe(1);
    p.writeGate = new Gate();
    const gate = p.writeGate;
    const writing = write(p);
    await until(() => p.writing === 1, 'the method to start (after the before-drop)');
    expect(await p.get('p')).toBe(1); // a miss: the old row, stored under the drop's tombstone
    gate.open();
    await writing;
    expect(p.db.get('p')).toBe(2);
    expect(await p.get('p')).toBe(2);
    expect(await p.get('p')).toBe(2);
  });
});
