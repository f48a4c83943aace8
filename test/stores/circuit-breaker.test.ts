import { CircuitBreaker, type CircuitState } from '../../src/index.js';

describe('CircuitBreaker', () => {
  let now: number;
  let changes: CircuitState[];
  const make = () => new CircuitBreaker({ failureThreshold: 3, cooldownMs: 1000, clock: { now: () => now }, onStateChange: (s) => changes.push(s) });

  beforeEach(() => {
    now = 0;
    changes = [];
  });

  it('stays closed below the threshold and counts only consecutive failures', () => {
    const b = make();
    b.failure();
    b.failure();
    b.success();
    b.failure();
    b.failure();
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(2);
    expect(b.admit()).toBe(true);
  });

  it('opens after N consecutive failures and fails fast until the cooldown passes', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.failure(new Error(`f${i}`));
    expect(b.state).toBe('open');
    expect(b.admit()).toBe(false);
    now = 999;
    expect(b.admit()).toBe(false);
    expect(changes).toEqual(['open']);
  });

  it('lets exactly one probe through after the cooldown; its success closes the breaker', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.failure();
    now = 1000;
    expect(b.admit()).toBe(true);
    expect(b.state).toBe('half-open');
    expect(b.admit()).toBe(false);
    expect(b.admit()).toBe(false);
    b.success();
    expect(b.state).toBe('closed');
    expect(b.admit()).toBe(true);
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('opens again for another cooldown when the probe fails', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.failure();
    now = 1000;
    expect(b.admit()).toBe(true);
    b.failure();
    expect(b.state).toBe('open');
    now = 1999;
    expect(b.admit()).toBe(false);
    now = 2000;
    expect(b.admit()).toBe(true);
    expect(changes).toEqual(['open', 'half-open', 'open', 'half-open']);
  });

  it('ignores late answers while open, and closes at once on reset', () => {
    const b = make();
    for (let i = 0; i < 3; i++) b.failure();
    b.success();
    expect(b.state).toBe('open');
    b.reset();
    expect(b.state).toBe('closed');
    expect(b.consecutiveFailures).toBe(0);
    expect(b.admit()).toBe(true);
    expect(changes).toEqual(['open', 'closed']);
  });

  it('rejects bad options with a TypeError quoting the value', () => {
    expect(() => new CircuitBreaker({ failureThreshold: 1.5 })).toThrow("breaker.failureThreshold: expected an integer >= 1; got 1.5 (number)");
    expect(() => new CircuitBreaker({ cooldownMs: -1 })).toThrow('breaker.cooldownMs: expected milliseconds (a number >= 0); got -1 (number)');
    expect(() => new CircuitBreaker({ onStateChange: 'log' as never })).toThrow("breaker.onStateChange: expected a function; got 'log'");
  });
});
