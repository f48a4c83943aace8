// The scenario every consumer project runs on the installed tarball: a @Cacheable hit, a
// @WriteBehind flush (two merged calls, one database write), an error class check, and
// cachekit/testing (a fake clock past the TTL, outcomes, recorded writes). The
// decorators are compiled by the consumer's own toolchain, in its decorator mode.
import { Cacheable, configureCache, errors, MemoryStore, WriteBehind } from 'cachekit';
import { createTestCache } from 'cachekit/testing';

export class Catalog {
  loads = 0;

  @Cacheable({ namespace: 'product', key: (id: string) => id })
  async product(id: string): Promise<{ id: string; load: number }> {
    this.loads++;
    return { id, load: this.loads };
  }
}

export class Views {
  readonly rows = new Map<string, number>();
  writes = 0;

  @WriteBehind({ namespace: 'views', key: (id: string) => id, merge: (a: number, b: number) => a + b })
  async add(id: string, n: number): Promise<void> {
    this.writes++;
    this.rows.set(id, (this.rows.get(id) ?? 0) + n);
  }
}

/** What {@link runScenario} observed. */
export interface ScenarioReport {
  first: { id: string; load: number };
  second: { id: string; load: number };
  loads: number;
  hits: number;
  misses: number;
  rowBeforeFlush: number | null;
  row: number | undefined;
  writes: number;
  flushed: number;
  keyError: string;
  /** cachekit/testing: the outcomes of three reads (the last one past the TTL) and the writes recorded. */
  testing: string;
}

/** The report every consumer must print (or assert). */
export const EXPECTED: ScenarioReport = {
  first: { id: 'p1', load: 1 },
  second: { id: 'p1', load: 1 },
  loads: 1,
  hits: 1,
  misses: 1,
  rowBeforeFlush: null,
  row: 5,
  writes: 1,
  flushed: 2,
  keyError: 'KeyBuildError E_KEY_BUILD',
  testing: 'miss hit miss, 2 writes',
};

/** Runs the scenario on a fresh runtime and closes it. */
export async function runScenario(): Promise<ScenarioReport> {
  const runtime = configureCache({ store: new MemoryStore() });
  const catalog = new Catalog();
  const first = await catalog.product('p1');
  const second = await catalog.product('p1');
  const views = new Views();
  await views.add('p1', 2);
  await views.add('p1', 3);
  const rowBeforeFlush = views.rows.get('p1') ?? null;
  await runtime.flush();
  const circular: Record<string, unknown> = {};
  circular.self = circular;
  const keyError = await catalog.product(circular as never).then(
    () => 'no error',
    (error: unknown) => (error instanceof errors.KeyBuildError ? `KeyBuildError ${error.code}` : `other: ${String(error)}`),
  );
  const stats = runtime.stats().methods;
  await runtime.close();
  const cache = createTestCache({ ttl: '1m' });
  const other = new Catalog();
  const outcomes = [await cache.outcomeOf(() => other.product('p2')), await cache.outcomeOf(() => other.product('p2'))];
  await cache.advance(60_000);
  outcomes.push(await cache.outcomeOf(() => other.product('p2')));
  const testing = `${outcomes.join(' ')}, ${cache.store.writes.length} writes`;
  await cache.close();
  return {
    first,
    second,
    loads: catalog.loads,
    hits: stats['Catalog.product']?.hits ?? -1,
    misses: stats['Catalog.product']?.misses ?? -1,
    rowBeforeFlush,
    row: views.rows.get('p1'),
    writes: views.writes,
    flushed: stats['Views.add']?.flushed ?? -1,
    keyError,
    testing,
  };
}
