import { WriteBehind, configureCache, ManualScheduler } from 'cachekit';

const own = new ManualScheduler();

class Counters {
  readonly written: string[] = [];

  @WriteBehind({ namespace: 'c', key: (id: string) => id, batch: { intervalMs: 100 } })
  async save(id: string, _n: number): Promise<void> {
    this.written.push(`save ${id}`);
  }

  @WriteBehind({ namespace: 'd', key: (id: string) => id, batch: { intervalMs: 100 }, scheduler: own })
  async saveOwn(id: string, _n: number): Promise<void> {
    this.written.push(`own ${id}`);
  }
}

describe('@WriteBehind without a scheduler of its own uses the runtime\'s (configureCache({ scheduler }))', () => {
  it('flushes when the runtime scheduler passes the batch interval; one with its own follows its own', async () => {
    const runtimeClock = new ManualScheduler();
    const runtime = configureCache({ scheduler: runtimeClock });
    const counters = new Counters();
    await counters.save('a', 1);
    await counters.saveOwn('b', 1);
    await runtimeClock.advance(99);
    expect(counters.written).toEqual([]);
    await runtimeClock.advance(1);
    expect(counters.written).toEqual(['save a']);
    await own.advance(100);
    expect(counters.written).toEqual(['save a', 'own b']);
    await runtime.close();
  });
});
