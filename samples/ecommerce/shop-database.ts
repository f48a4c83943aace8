import sqlite from 'node-sqlite3-wasm';
import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from './seeded-random.js';

// node-sqlite3-wasm is CommonJS: its classes come on the default export under ESM.
const { Database } = sqlite;

/** A product of the catalog. */
export interface Product {
  id: number;
  name: string;
  category: string;
  description: string;
}

/** A user's settings. */
export interface UserSettings {
  userId: number;
  theme: 'light' | 'dark' | 'system';
  currency: 'USD' | 'EUR' | 'GBP' | 'JPY';
  emailOptIn: boolean;
}

/** An analytics event: a product page view or a checkout. */
export interface AnalyticsEvent {
  id: number;
  type: 'view' | 'checkout';
  productId: number;
  userId: number;
}

/** The shop's tables; every query is counted against the table it touches. */
export type ShopTable = 'products' | 'prices' | 'user_settings' | 'product_views' | 'events';

/** Options of {@link ShopDatabase.open}. */
export interface ShopDatabaseOptions {
  /** Path of the SQLite file; an existing file (and its WAL) is replaced. */
  file: string;
  /** Simulated network latency of one database round trip, in milliseconds. */
  latencyMs: number;
  /** Number of products (ids 1..products), each with a price and a view counter. */
  products: number;
  /** Number of users (ids 1..users), each with settings. */
  users: number;
  /** Seed of the generated rows. */
  seed: number;
}

/** What the database has done, counted by the application side (one query = one round trip). */
export interface DatabaseCounters {
  /** Queries per table. */
  queries: Record<ShopTable, number>;
  /** Event inserts (each one transaction, whatever its number of rows). */
  eventInserts: number;
  /** Event rows inserted. */
  eventRows: number;
  /** View-counter writes (each one statement, whatever its number of counters). */
  viewWrites: number;
  /** Counters updated by those writes. */
  viewUpdates: number;
  /** Views added by those updates. */
  viewsAdded: number;
}

const THEMES = ['light', 'dark', 'system'] as const;
const CURRENCIES = ['USD', 'EUR', 'GBP', 'JPY'] as const;
const ADJECTIVES = ['Classic', 'Compact', 'Deluxe', 'Eco', 'Pro', 'Smart', 'Ultra', 'Vintage', 'Wireless', 'Trail'];
const NOUNS = ['Backpack', 'Headphones', 'Kettle', 'Lamp', 'Mug', 'Notebook', 'Sneakers', 'Speaker', 'Tent', 'Watch'];
const CATEGORIES = ['outdoor', 'kitchen', 'audio', 'office', 'fashion'];

/**
 * The shop's SQLite database: a real file, behind a simulated network. Every public async
 * method is one round trip: it waits `latencyMs`, then runs its SQL, and counts one query.
 * The `read*` methods at the end are for checking results: no latency, not counted.
 */
export class ShopDatabase {
  /** Counters of the work done since the database was opened. */
  readonly counters: DatabaseCounters = {
    queries: { products: 0, prices: 0, user_settings: 0, product_views: 0, events: 0 },
    eventInserts: 0,
    eventRows: 0,
    viewWrites: 0,
    viewUpdates: 0,
    viewsAdded: 0,
  };
  private readonly db: InstanceType<typeof Database>;

  private constructor(
    readonly file: string,
    private readonly latencyMs: number,
  ) {
    this.db = new Database(file);
    // One process owns the file: exclusive locking lets SQLite use WAL without shared memory,
    // and WAL with synchronous=NORMAL commits without an fsync per transaction.
    this.db.exec('PRAGMA locking_mode = EXCLUSIVE');
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = NORMAL');
  }

  /** Creates the file (replacing an old one), the schema and the seed rows. */
  static open(options: ShopDatabaseOptions): ShopDatabase {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(options.file + suffix, { force: true });
    const shop = new ShopDatabase(options.file, options.latencyMs);
    shop.db.exec(`
      CREATE TABLE products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL, description TEXT NOT NULL);
      CREATE TABLE prices (product_id INTEGER PRIMARY KEY, cents INTEGER NOT NULL);
      CREATE TABLE user_settings (user_id INTEGER PRIMARY KEY, theme TEXT NOT NULL, currency TEXT NOT NULL, email_opt_in INTEGER NOT NULL);
      CREATE TABLE product_views (product_id INTEGER PRIMARY KEY, views INTEGER NOT NULL);
      CREATE TABLE events (id INTEGER PRIMARY KEY, type TEXT NOT NULL, product_id INTEGER NOT NULL, user_id INTEGER NOT NULL);
    `);
    const random = seededRandom(options.seed ^ 0x5eed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
    shop.db.exec('BEGIN');
    for (let id = 1; id <= options.products; id++) {
      const name = `${pick(ADJECTIVES)} ${pick(NOUNS)} ${id}`;
      shop.db.run('INSERT INTO products VALUES (?, ?, ?, ?)', [id, name, pick(CATEGORIES), `The ${name}: built to last.`]);
      shop.db.run('INSERT INTO prices VALUES (?, ?)', [id, 500 + Math.floor(random() * 50_000)]);
      shop.db.run('INSERT INTO product_views VALUES (?, 0)', [id]);
    }
    for (let userId = 1; userId <= options.users; userId++) {
      shop.db.run('INSERT INTO user_settings VALUES (?, ?, ?, ?)', [userId, pick(THEMES), pick(CURRENCIES), random() < 0.5 ? 1 : 0]);
    }
    shop.db.exec('COMMIT');
    return shop;
  }

  /** Random settings for a user, from the given generator (the workload's saves). */
  static randomSettings(userId: number, random: () => number): UserSettings {
    return {
      userId,
      theme: THEMES[Math.floor(random() * THEMES.length)]!,
      currency: CURRENCIES[Math.floor(random() * CURRENCIES.length)]!,
      emailOptIn: random() < 0.5,
    };
  }

  /** One round trip: the simulated network latency, then the SQL. */
  private async roundTrip<T>(table: ShopTable, run: () => T): Promise<T> {
    this.counters.queries[table]++;
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    return run();
  }

  /** SELECT a product. */
  getProduct(id: number): Promise<Product | null> {
    return this.roundTrip('products', () => this.readProduct(id));
  }

  /** SELECT a product's price in cents. */
  getPrice(productId: number): Promise<number | null> {
    return this.roundTrip('prices', () => this.readPrice(productId));
  }

  /** UPDATE a product's price. */
  setPrice(productId: number, cents: number): Promise<void> {
    return this.roundTrip('prices', () => void this.db.run('UPDATE prices SET cents = ? WHERE product_id = ?', [cents, productId]));
  }

  /** SELECT a user's settings. */
  getSettings(userId: number): Promise<UserSettings | null> {
    return this.roundTrip('user_settings', () => this.readSettings(userId));
  }

  /** UPSERT a user's settings; returns the row as stored. */
  saveSettings(settings: UserSettings): Promise<UserSettings> {
    return this.roundTrip('user_settings', () => {
      this.db.run(
        `INSERT INTO user_settings VALUES (?, ?, ?, ?)
         ON CONFLICT(user_id) DO UPDATE SET theme = excluded.theme, currency = excluded.currency, email_opt_in = excluded.email_opt_in`,
        [settings.userId, settings.theme, settings.currency, settings.emailOptIn ? 1 : 0],
      );
      return { ...settings };
    });
  }

  /**
   * Adds views to counters: one multi-row upsert, whatever the number of counters.
   * (An increment is not idempotent: a write retried after a lost reply could count twice.)
   */
  addViews(counters: ReadonlyArray<{ productId: number; views: number }>): Promise<void> {
    return this.roundTrip('product_views', () => {
      if (counters.length === 0) return;
      this.db.run(
        `INSERT INTO product_views (product_id, views) VALUES ${counters.map(() => '(?, ?)').join(', ')}
         ON CONFLICT(product_id) DO UPDATE SET views = views + excluded.views`,
        counters.flatMap((c) => [c.productId, c.views]),
      );
      this.counters.viewWrites++;
      this.counters.viewUpdates += counters.length;
      for (const c of counters) this.counters.viewsAdded += c.views;
    });
  }

  /**
   * INSERT events: one multi-row statement in one transaction, whatever the number of rows.
   * `OR IGNORE` makes a replayed batch harmless (write-behind delivers at least once).
   */
  insertEvents(events: readonly AnalyticsEvent[]): Promise<void> {
    return this.roundTrip('events', () => {
      if (events.length === 0) return;
      const values = events.flatMap((e) => [e.id, e.type, e.productId, e.userId]);
      this.db.exec('BEGIN');
      try {
        this.db.run(`INSERT OR IGNORE INTO events VALUES ${events.map(() => '(?, ?, ?, ?)').join(', ')}`, values);
        this.db.exec('COMMIT');
      } catch (error) {
        this.db.exec('ROLLBACK');
        throw error;
      }
      this.counters.eventInserts++;
      this.counters.eventRows += events.length;
    });
  }

  /** A product, read directly (no latency, not counted). */
  readProduct(id: number): Product | null {
    const row = this.db.get('SELECT id, name, category, description FROM products WHERE id = ?', [id]);
    return row === null ? null : { id: Number(row.id), name: String(row.name), category: String(row.category), description: String(row.description) };
  }

  /** A price, read directly (no latency, not counted). */
  readPrice(productId: number): number | null {
    const row = this.db.get('SELECT cents FROM prices WHERE product_id = ?', [productId]);
    return row === null ? null : Number(row.cents);
  }

  /** A user's settings, read directly (no latency, not counted). */
  readSettings(userId: number): UserSettings | null {
    const row = this.db.get('SELECT theme, currency, email_opt_in FROM user_settings WHERE user_id = ?', [userId]);
    if (row === null) return null;
    return { userId, theme: row.theme as UserSettings['theme'], currency: row.currency as UserSettings['currency'], emailOptIn: row.email_opt_in === 1 };
  }

  /** Every product's view count, read directly. */
  readViewCounts(): Map<number, number> {
    const rows = this.db.all('SELECT product_id, views FROM product_views');
    return new Map(rows.map((row) => [Number(row.product_id), Number(row.views)]));
  }

  /** The ids of every stored event, read directly. */
  readEventIds(): Set<number> {
    return new Set(this.db.all('SELECT id FROM events').map((row) => Number(row.id)));
  }

  /** Closes the file. */
  close(): void {
    if (this.db.isOpen) this.db.close();
  }
}
