import { MAX_RECENT_BYTES, RecentEntries } from '../../src/stores/redis/recent-entries.js';
import { decodeEntry, encodeEntry } from '../../src/stores/redis/entry-codec.js';
import { MsgpackSerializer } from '../../src/serializer.js';

const serializer = new MsgpackSerializer();
const bytesOf = (v: unknown, g = 1) => encodeEntry({ v, g, n: 0 }, 0, serializer);

describe('RecentEntries (decoding the last bytes of a key while its next read is out)', () => {
  let decodes: number;
  let recent: RecentEntries;

  beforeEach(() => {
    decodes = 0;
    recent = new RecentEntries((data) => {
      decodes++;
      return decodeEntry(data, serializer);
    });
  });

  it('has nothing to guess from for a key it has not settled', () => {
    expect(recent.guess('k')).toBeNull();
    expect(decodes).toBe(0);
  });

  it('hands out the guess when the reply holds the same bytes, a fresh decode each read', () => {
    const first = recent.settle('k', bytesOf({ id: 1, tags: ['a'] }), null);
    expect(first.entry.v).toEqual({ id: 1, tags: ['a'] });
    const guess = recent.guess('k')!;
    expect(guess.decoded.entry.v).toEqual({ id: 1, tags: ['a'] });
    const settled = recent.settle('k', bytesOf({ id: 1, tags: ['a'] }), guess);
    expect(settled).toBe(guess.decoded);
    // every read decodes anew: no object is handed out twice
    expect(settled.entry.v).not.toBe(first.entry.v);
    const again = recent.guess('k')!;
    expect(again.decoded.entry.v).not.toBe(settled.entry.v);
    expect(decodes).toBe(3);
  });

  it('decodes the reply when its bytes differ from the guess, and guesses from them next time', () => {
    recent.settle('k', bytesOf('old'), null);
    const stale = recent.guess('k')!;
    expect(recent.settle('k', bytesOf('new', 2), stale).entry).toEqual({ v: 'new', g: 2, n: 0 });
    expect(recent.guess('k')!.decoded.entry).toEqual({ v: 'new', g: 2, n: 0 });
  });

  it('keeps its own copy of the bytes (a reply may be a view of a buffer the client reuses)', () => {
    const shared = Buffer.concat([Buffer.from('xx'), bytesOf('kept')]);
    const view = shared.subarray(2);
    recent.settle('k', view, null);
    shared.fill(0);
    expect(recent.guess('k')!.decoded.entry.v).toBe('kept');
  });

  it(`does not keep entries over ${MAX_RECENT_BYTES} bytes`, () => {
    const big = bytesOf('x'.repeat(MAX_RECENT_BYTES));
    expect(big.length).toBeGreaterThan(MAX_RECENT_BYTES);
    expect(recent.settle('k', big, null).entry.v).toBe('x'.repeat(MAX_RECENT_BYTES));
    expect(recent.guess('k')).toBeNull();
  });

  it('throws what the decoder throws for a reply that does not decode, and remembers nothing of it', () => {
    expect(() => recent.settle('k', Buffer.from('not an entry'), null)).toThrow('bytes under the key are not a cachekit entry');
    expect(recent.guess('k')).toBeNull();
  });
});
