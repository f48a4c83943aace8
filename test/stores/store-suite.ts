/**
 * The shared store suite as this repository runs it: the published one (`runStoreSuite` of
 * cachekit/testing), plus what only cachekit's own Redis codec can check (an entry whose value
 * bytes are cut short reads as a tombstone of its generation).
 */
import { randomBytes } from 'node:crypto';
import { MsgpackSerializer, errors as cachekitErrors } from 'cachekit';
import { runStoreSuite as runPublishedSuite, type StoreHarnessFactory } from 'cachekit/testing';
import { encodeEntry } from '../../src/stores/redis/entry-codec.js';

/** Registers the shared suite for one built-in store, and the codec check for those on Redis. */
export function runStoreSuite(kind: string, create: StoreHarnessFactory, onRedis: boolean): void {
  runPublishedSuite(create, { name: kind });
  if (!onRedis) return;
  describe(`${kind}: cachekit's Redis entry codec`, () => {
    it('reads an entry whose value bytes are corrupt as a tombstone of its generation (a miss the next populate replaces)', async () => {
      const prefix = `ckc${randomBytes(4).toString('hex')}`;
      const h = await create(prefix);
      const errors = h.errors!;
      const key = `${prefix}:ns:c`;
      try {
        const bytes = encodeEntry({ v: { fine: true }, g: 4242 }, 0, new MsgpackSerializer());
        await h.raw!.set(key, bytes.subarray(0, bytes.length - 2)); // the value's bytes cut short
        expect((await h.store.read(key, [])).entry).toStrictEqual({ g: 4242, d: 1 });
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(cachekitErrors.SerializationError);
        expect(await h.store.writeIf(key, { v: 'repaired', g: 4243 }, 60_000, 4242)).toBe(true);
        expect((await h.store.read(key, [])).entry).toStrictEqual({ v: 'repaired', g: 4243 });
      } finally {
        await h.raw!.del(key);
        await h.close!();
      }
    });
  });
}
