import 'reflect-metadata';
import { Cacheable, WriteBehind, WriteThrough, configureCache, JsonSerializer, MemoryStore, MsgpackSerializer, RedisStore, TieredStore, type CacheStore, type Serializer } from '../../src/index.js';
import type { CacheRuntime } from '../../src/runtime/cache-runtime.js';
import { storeFactories } from '../helpers/store-factories.js';
import { until } from '../helpers/waiting.js';

class OrderLine {
  constructor(
    public sku: string,
    public qty: number,
    public price: number,
  ) {}
  subtotal(): number {
    return this.qty * this.price;
  }
}

class Order {
  constructor(
    public id: string,
    public lines: OrderLine[],
    public placedAt: Date,
    public meta: Map<string, OrderLine> = new Map(),
  ) {}
  total(): number {
    return this.lines.reduce((sum, line) => sum + line.subtotal(), 0);
  }
}

/** Never registered: its hits from a serializing store are plain objects, and a warning says so. */
class Invoice {
  constructor(public id: string) {}
}

let loads = 0;
class Orders {
  @Cacheable({ namespace: 'orders' })
  async get(id: string): Promise<Order> {
    loads++;
    const line = new OrderLine('lamp', 2, 15);
    return new Order(id, [line, new OrderLine('desk', 1, 100)], new Date('2026-01-02T03:04:05.000Z'), new Map([['first', line]]));
  }

  @WriteThrough({ namespace: 'orders', key: (id: string) => `"${id}"` })
  async save(id: string): Promise<Order> {
    return new Order(id, [new OrderLine('pen', 3, 1)], new Date(0));
  }

  @Cacheable({ namespace: 'invoices' })
  async invoice(id: string): Promise<Invoice> {
    loads++;
    return new Invoice(id);
  }
}

function expectRevived(order: Order, id: string): void {
  expect(order).toBeInstanceOf(Order);
  expect(order.id).toBe(id);
  expect(order.lines.every((line) => line instanceof OrderLine)).toBe(true);
  expect(order.total()).toBe(130);
  expect(order.placedAt).toBeInstanceOf(Date);
  expect(order.placedAt.toISOString()).toBe('2026-01-02T03:04:05.000Z');
  expect(order.meta).toBeInstanceOf(Map);
  expect(order.meta.get('first')).toBeInstanceOf(OrderLine);
}

const serializers: Array<[string, () => Serializer]> = [
  ['msgpack', () => new MsgpackSerializer()],
  ['json', () => new JsonSerializer()],
];

describe.each(storeFactories())('registered classes come back as instances ($name)', ({ name, create }) => {
  describe.each(serializers)('with the %s serializer', (serializerName, serializer) => {
    let store: CacheStore;
    let runtime: CacheRuntime;
    beforeEach(async () => {
      store = await create();
      runtime = configureCache({ store, serializer: serializer(), classes: [Order, OrderLine], prefix: `types-${Date.now()}-${Math.random()}` });
      loads = 0;
    });
    afterEach(() => runtime.close());

    it('a miss and every hit return the class instance, nested instances and Dates included', async () => {
      const orders = new Orders();
      expectRevived(await orders.get('o1'), 'o1');
      const hit = await orders.get('o1');
      expect(loads).toBe(1);
      if (serializerName === 'json' && name !== 'MemoryStore') {
        // JSON keeps Dates as ISO strings and Maps as objects (documented); the classes revive
        expect(hit).toBeInstanceOf(Order);
        expect(hit.total()).toBe(130);
        expect(hit.placedAt).toBe('2026-01-02T03:04:05.000Z');
        return;
      }
      expectRevived(hit, 'o1');
    });

    it('a value written by @WriteThrough reads back as an instance', async () => {
      const orders = new Orders();
      await orders.save('o2');
      const read = await orders.get('o2');
      expect(loads).toBe(0);
      expect(read).toBeInstanceOf(Order);
      expect(read.lines[0]).toBeInstanceOf(OrderLine);
      expect(read.total()).toBe(3);
    });
  });
});

describe('another process reads registered classes from Redis as instances (TieredStore L2 hit)', () => {
  it('revives what a first tiered store wrote, in a second one with an empty L1', async () => {
    const prefix = `types-l2-${Date.now()}`;
    const url = process.env.REDIS_URL!;
    const first = configureCache({ store: new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) }), classes: [Order, OrderLine], prefix });
    loads = 0;
    const orders = new Orders();
    expectRevived(await orders.get('o3'), 'o3');
    await first.close();
    const second = configureCache({ store: new TieredStore({ l1: new MemoryStore(), l2: new RedisStore({ connection: url }) }), classes: [Order, OrderLine], prefix });
    try {
      expectRevived(await orders.get('o3'), 'o3'); // an L2 hit, then L1
      expectRevived(await orders.get('o3'), 'o3');
      expect(loads).toBe(1);
    } finally {
      await second.close();
    }
  });
});

describe('a class that is not registered', () => {
  let emitted: jest.SpyInstance;
  const ours = () => emitted.mock.calls.filter(([, options]) => (options as { code?: string } | undefined)?.code === 'CK_UNREGISTERED_CLASS');
  beforeEach(() => {
    emitted = jest.spyOn(process, 'emitWarning');
  });
  afterEach(() => emitted.mockRestore());

  it('is warned about once per method on a serializing store, naming the class and the fix', async () => {
    const runtime = configureCache({ store: new RedisStore({ connection: process.env.REDIS_URL! }), prefix: `types-warn-${Date.now()}` });
    try {
      const orders = new Orders();
      const miss = await orders.invoice('i1');
      expect(miss).toBeInstanceOf(Invoice);
      const hit = await orders.invoice('i1');
      expect(hit).not.toBeInstanceOf(Invoice);
      expect(hit).toEqual({ id: 'i1' });
      await orders.invoice('i2');
      await until(() => ours().length > 0, 'the warning');
      expect(ours()).toEqual([
        [
          "Orders.invoice returned an instance of Invoice, but class Invoice is not registered: hits from the 'redis' store return a plain object (the miss returned the instance). Register it: configureCache({ classes: [Invoice] })",
          { type: 'CacheKitWarning', code: 'CK_UNREGISTERED_CLASS' },
        ],
      ]);
    } finally {
      await runtime.close();
    }
  });

  it('is warned about for a value the method does not return: a @WriteThrough value() result, a @WriteBehind value', async () => {
    const runtime = configureCache({ store: new RedisStore({ connection: process.env.REDIS_URL! }), prefix: `types-warn-w-${Date.now()}` });
    class Receipt {
      constructor(readonly id: string) {}
    }
    class Receipts {
      @WriteThrough({ namespace: 'receipts', key: (id: string) => id, value: (_result: string, id: string) => new Receipt(id) })
      async put(_id: string) {
        return 'ok';
      }

      @WriteBehind({ namespace: 'queued-receipts', key: (id: string) => id })
      async queue(_id: string, _receipt: Receipt) {}
    }
    try {
      const receipts = new Receipts();
      await receipts.put('r1');
      await receipts.queue('r2', new Receipt('r2'));
      await runtime.flush();
      expect(ours().map(([message]) => message)).toEqual([
        "Receipts.put cached an instance of Receipt, but class Receipt is not registered: hits from the 'redis' store return a plain object (the call cached the instance). Register it: configureCache({ classes: [Receipt] })",
        "Receipts.queue queued an instance of Receipt, but class Receipt is not registered: hits from the 'redis' store return a plain object (the call queued the instance). Register it: configureCache({ classes: [Receipt] })",
      ]);
    } finally {
      await runtime.close();
    }
  });

  it('is not warned about on a MemoryStore, whose hits return the instance itself', async () => {
    configureCache({ store: new MemoryStore() });
    class Local {
      @Cacheable()
      async get(id: string) {
        return new Invoice(id);
      }
    }
    const local = new Local();
    expect(await local.get('x')).toBe(await local.get('x'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(ours()).toEqual([]);
  });
});

describe('MemoryStore sharing and copyOnRead', () => {
  it('without copyOnRead, every hit returns the very object the miss returned', async () => {
    configureCache({ store: new MemoryStore() });
    const orders = new Orders();
    const a = await orders.get('s1');
    const b = await orders.get('s1');
    expect(b).toBe(a);
  });

  it('with copyOnRead, each caller gets its own deep copy with its classes, and mutations do not leak into the cache', async () => {
    configureCache({ store: new MemoryStore({ copyOnRead: true }) });
    loads = 0;
    const orders = new Orders();
    const miss = await orders.get('s2');
    miss.lines[0]!.qty = 99; // the caller mutates what the miss returned
    const a = await orders.get('s2');
    const b = await orders.get('s2');
    expect(loads).toBe(1);
    expect(a).not.toBe(b);
    expect(a.lines[0]).not.toBe(b.lines[0]);
    expectRevived(a, 's2');
    a.lines.push(new OrderLine('extra', 1, 1));
    expect((await orders.get('s2')).total()).toBe(130);
    expect(() => new MemoryStore({ copyOnRead: 'yes' as never })).toThrow(new TypeError("MemoryStore: copyOnRead must be a boolean; got 'yes'"));
  });
});

describe('configureCache({ classes }) is checked', () => {
  it('refuses what is not a class, and two classes under one name', () => {
    expect(() => configureCache({ classes: 5 as never })).toThrow(
      new TypeError('configureCache: classes must be an array of classes or a record of name to class, like [Order] or { Order }; got 5 (number)'),
    );
    expect(() => configureCache({ classes: [{} as never] })).toThrow(new TypeError('configureCache: classes[0] must be a named class; got {} (object)'));
    const Other = class Order {};
    expect(() => configureCache({ classes: [Order, Other] })).toThrow(
      new TypeError("configureCache: classes: two different classes are named 'Order'; register one under another name, like { Order2: Order }"),
    );
    expect(() => configureCache({ classes: { OtherOrder: Other } })).not.toThrow();
  });
});
