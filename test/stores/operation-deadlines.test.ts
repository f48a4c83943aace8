import { OperationDeadlines, type Deadline } from '../../src/stores/redis/operation-deadlines.js';

/** A deadline that records when it expired (fake time). */
function operation(expired: Array<[string, number]>, name: string): Deadline {
  return { at: 0, prev: null, next: null, expire: () => expired.push([name, Date.now()]) };
}

describe('OperationDeadlines', () => {
  beforeEach(() => jest.useFakeTimers({ now: 0 }));
  afterEach(() => jest.useRealTimers());

  it('expires an operation between timeoutMs and 1.25 x timeoutMs after it started, in start order', () => {
    const expired: Array<[string, number]> = [];
    const deadlines = new OperationDeadlines(400);
    deadlines.add(operation(expired, 'a'));
    jest.advanceTimersByTime(50);
    deadlines.add(operation(expired, 'b'));
    jest.advanceTimersByTime(349);
    expect(expired).toEqual([]);
    jest.advanceTimersByTime(1000);
    expect(expired.map(([name]) => name)).toEqual(['a', 'b']);
    for (const [name, at] of expired) {
      const started = name === 'a' ? 0 : 50;
      expect(at - started).toBeGreaterThanOrEqual(400);
      expect(at - started).toBeLessThanOrEqual(500);
    }
    expect(deadlines.size).toBe(0);
  });

  it('never expires an operation that is done, wherever it sits in the list', () => {
    const expired: Array<[string, number]> = [];
    const deadlines = new OperationDeadlines(100);
    const ops = ['a', 'b', 'c', 'd'].map((name) => operation(expired, name));
    for (const op of ops) deadlines.add(op);
    expect(deadlines.done(ops[1]!)).toBe(true); // middle
    expect(deadlines.done(ops[0]!)).toBe(true); // head
    expect(deadlines.done(ops[3]!)).toBe(true); // tail
    expect(deadlines.done(ops[3]!)).toBe(false); // twice
    expect(deadlines.size).toBe(1);
    jest.advanceTimersByTime(200);
    expect(expired.map(([name]) => name)).toEqual(['c']);
    expect(deadlines.done(ops[2]!)).toBe(false); // it had expired
  });

  it('runs its timer only while operations are pending', () => {
    const deadlines = new OperationDeadlines(100);
    const op = operation([], 'a');
    deadlines.add(op);
    expect(jest.getTimerCount()).toBe(1);
    deadlines.done(op);
    jest.advanceTimersByTime(25);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('expireAll expires every pending operation at once', () => {
    const expired: Array<[string, number]> = [];
    const deadlines = new OperationDeadlines(1000);
    for (const name of ['a', 'b']) deadlines.add(operation(expired, name));
    deadlines.expireAll();
    expect(expired).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    expect(deadlines.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });
});
