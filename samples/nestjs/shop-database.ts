import sqlite from 'node-sqlite3-wasm';

// node-sqlite3-wasm is CommonJS: its classes come on the default export under ESM.
const { Database } = sqlite;

/** A product row. */
export interface Product {
  id: number;
  name: string;
  priceCents: number;
}

/** The sample's SQLite database: products and their view counters. Counts its queries. */
export class ShopDatabase {
  /** Queries run, by kind: what the cache saved shows here. */
  readonly queries = { productReads: 0, productWrites: 0, productDeletes: 0, viewWrites: 0, viewReads: 0 };
  private readonly db: InstanceType<typeof Database>;
  private closed = false;

  /** Opens (creates) the database at `file` with `products` seeded rows. */
  constructor(readonly file: string, products = 20) {
    this.db = new Database(file);
    this.db.exec('CREATE TABLE IF NOT EXISTS products (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price_cents INTEGER NOT NULL)');
    this.db.exec('CREATE TABLE IF NOT EXISTS product_views (product_id INTEGER PRIMARY KEY, views INTEGER NOT NULL)');
    this.db.exec('BEGIN');
    for (let id = 1; id <= products; id++) this.db.run('INSERT OR IGNORE INTO products VALUES (?, ?, ?)', [id, `Product ${id}`, 1000 + id]);
    this.db.exec('COMMIT');
  }

  /** The product, or null when there is none. */
  product(id: number): Product | null {
    this.queries.productReads++;
    const row = this.open().get('SELECT id, name, price_cents FROM products WHERE id = ?', [id]) as { id: number; name: string; price_cents: number } | null;
    return row ? { id: row.id, name: row.name, priceCents: row.price_cents } : null;
  }

  /** Inserts or replaces the product. */
  saveProduct(product: Product): void {
    this.queries.productWrites++;
    this.open().run('INSERT OR REPLACE INTO products VALUES (?, ?, ?)', [product.id, product.name, product.priceCents]);
  }

  /** Deletes the product; true if there was one. */
  deleteProduct(id: number): boolean {
    this.queries.productDeletes++;
    return this.open().run('DELETE FROM products WHERE id = ?', [id]).changes > 0;
  }

  /** Adds `n` views to the product's counter (one statement). */
  addViews(productId: number, n: number): void {
    this.queries.viewWrites++;
    this.open().run('INSERT INTO product_views VALUES (?, ?) ON CONFLICT(product_id) DO UPDATE SET views = views + excluded.views', [productId, n]);
  }

  /** The product's view counter as stored. */
  views(productId: number): number {
    this.queries.viewReads++;
    const row = this.open().get('SELECT views FROM product_views WHERE product_id = ?', [productId]) as { views: number } | null;
    return row?.views ?? 0;
  }

  /** Closes the file; later queries throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  private open(): InstanceType<typeof Database> {
    if (this.closed) throw new Error(`ShopDatabase ${this.file} is closed`);
    return this.db;
  }
}
