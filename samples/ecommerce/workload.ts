import { ShopDatabase, type UserSettings } from './shop-database.js';
import { seededRandom } from './seeded-random.js';
import { zipfSampler } from './zipf-sampler.js';

/** One request to the shop. */
export type ShopRequest =
  /** A product page: read the product, count a view, record a view event. */
  | { kind: 'browse'; productId: number; userId: number; eventId: number }
  /** A checkout: read the price, record a checkout event. */
  | { kind: 'checkout'; productId: number; userId: number; eventId: number }
  /** A user opens their settings. */
  | { kind: 'readSettings'; userId: number }
  /** A user saves their settings. */
  | { kind: 'saveSettings'; settings: UserSettings }
  /** The repricing feed changes a price (any product, popular or not). */
  | { kind: 'updatePrice'; productId: number; cents: number };

/** Share of each kind of request in the workload. */
export const REQUEST_MIX: Readonly<Record<ShopRequest['kind'], number>> = {
  browse: 0.7,
  checkout: 0.1,
  readSettings: 0.12,
  saveSettings: 0.03,
  updatePrice: 0.05,
};

/** How each kind of request is named in the printed mix. */
export const REQUEST_LABELS: Readonly<Record<ShopRequest['kind'], string>> = {
  browse: 'product page',
  checkout: 'checkout',
  readSettings: 'settings read',
  saveSettings: 'settings save',
  updatePrice: 'price update',
};

/** Shape of the generated workload. */
export interface WorkloadOptions {
  requests: number;
  products: number;
  users: number;
  /** Zipf exponent of product and user popularity. */
  zipf: number;
  seed: number;
}

/** The generated requests and what they must leave in the database. */
export interface Workload {
  requests: ShopRequest[];
  /** Views each product must have once every write is in the database. */
  expectedViews: Map<number, number>;
  /** Ids of every event the workload records. */
  eventIds: number[];
}

/**
 * Generates the requests of a run: product and user popularity follow Zipf (a few are hot),
 * the repricing feed picks products uniformly. The same options give the same requests, so
 * the run with the cache and the run without it do exactly the same work.
 */
export function generateWorkload(options: WorkloadOptions): Workload {
  const random = seededRandom(options.seed);
  const product = zipfSampler(options.products, options.zipf, random);
  const user = zipfSampler(options.users, options.zipf, random);
  const kinds = Object.entries(REQUEST_MIX) as Array<[ShopRequest['kind'], number]>;
  const requests: ShopRequest[] = [];
  const expectedViews = new Map<number, number>();
  const eventIds: number[] = [];
  for (let i = 0; i < options.requests; i++) {
    let u = random();
    const kind = kinds.find(([, share]) => (u -= share) < 0)?.[0] ?? 'browse';
    if (kind === 'browse' || kind === 'checkout') {
      const productId = product();
      const eventId = eventIds.length + 1;
      eventIds.push(eventId);
      requests.push({ kind, productId, userId: user(), eventId });
      if (kind === 'browse') expectedViews.set(productId, (expectedViews.get(productId) ?? 0) + 1);
    } else if (kind === 'readSettings') {
      requests.push({ kind, userId: user() });
    } else if (kind === 'saveSettings') {
      requests.push({ kind, settings: ShopDatabase.randomSettings(user(), random) });
    } else {
      requests.push({ kind, productId: 1 + Math.floor(random() * options.products), cents: 500 + Math.floor(random() * 50_000) });
    }
  }
  return { requests, expectedViews, eventIds };
}
