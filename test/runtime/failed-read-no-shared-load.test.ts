import { Cacheable, MemoryStore, configureCache, type CacheRuntime } from '../../src/index.js';
import { chaosStore } from 'cachekit/testing';
import { Gate } from '../helpers/gate.js';
import { until } from '../helpers/waiting.js';

/**
 * A read whose store read failed cannot tell whether a load already running started before a
 * write (in this or another process) resolved, so it must not join that load: it runs the method
 * itself and returns what the database holds now (G1). Found by the fault campaign (seed 21018).
 */
describe('a call whose store read failed runs its own load', () => {
  let runtime: CacheRuntime;
  afterEach(() => runtime.close());

  it('returns the row written after an older load began, not that load’s result', async () => {
    const chaos = chaosStore(new MemoryStore());
    runtime = configureCache({ store: chaos, prefix: 'failed-read', onError: () => undefined });
    const db = new Map([['k', 'old']]);
    let loads = 0;
    const firstGate = new Gate();
    let gate: Gate | undefined = firstGate;
    class Rows {
      @Cacheable({ namespace: 'row', key: (id: string) => id })
      async get(id: string): Promise<string | undefined> {
        loads++;
        const row = db.get(id);
        const held = gate;
        gate = undefined;
        if (held) await held.opened; // the first load read 'old' and is held here
        return row;
      }
    }
    const rows = new Rows();
    chaos.mode('throw'); // every store operation fails: reads are misses that cannot see a write
    const first = rows.get('k');
    await until(() => loads === 1, 'the first load to start');
    db.set('k', 'new'); // a write that resolved (in another process, say) after the first load read
    const second = await rows.get('k'); // starts after the write: must not return 'old'
    expect(second).toBe('new');
    expect(loads).toBe(2);
    firstGate.open();
    expect(await first).toBe('old'); // the first call still gets what its own load read
  });
});
