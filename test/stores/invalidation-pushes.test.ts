import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { INVALIDATE_EVENT, listenForInvalidations } from '../../src/stores/redis/invalidation-pushes.js';
import { redisUrl } from '../helpers/redis.js';
import { until } from '../helpers/waiting.js';

describe('invalidate pushes (RESP3 CLIENT TRACKING) as an event on their ioredis connection', () => {
  let tracking: Redis;
  let other: Redis;
  let prefix: string;

  beforeEach(async () => {
    expect(await listenForInvalidations()).toBe(true);
    prefix = `push${randomBytes(4).toString('hex')}:`;
    tracking = new Redis(redisUrl(), { protocol: 3 });
    other = new Redis(redisUrl());
    await tracking.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', prefix);
  });

  afterEach(async () => {
    await tracking.quit();
    await other.quit();
  });

  it('emits the changed keys before the reply to any later command on the same connection', async () => {
    const heard: string[][] = [];
    tracking.on(INVALIDATE_EVENT, (keys: Array<Buffer | string> | null) => heard.push((keys ?? []).map(String)));
    for (let round = 1; round <= 50; round++) {
      await other.set(`${prefix}k`, String(round));
      // The push was written before Redis ran this GET: it has been heard by the time the reply is.
      expect(await tracking.get(`${prefix}k`)).toBe(String(round));
      expect(heard).toHaveLength(round);
      expect(heard[round - 1]).toEqual([`${prefix}k`]);
    }
    await other.set(`${prefix.slice(0, -1)}-untracked`, '1');
    await tracking.ping();
    expect(heard).toHaveLength(50);
  });

  it('leaves other pushes to ioredis: pub/sub messages still arrive on a RESP3 connection', async () => {
    const subscriber = new Redis(redisUrl(), { protocol: 3 });
    try {
      const channel = `${prefix}channel`;
      const messages: string[] = [];
      subscriber.on('message', (ch: string, message: string) => ch === channel && messages.push(message));
      await subscriber.subscribe(channel);
      await other.publish(channel, 'hello');
      await until(() => messages.length === 1, 'the message arrives');
      expect(messages).toEqual(['hello']);
    } finally {
      await subscriber.quit();
    }
  });
});
