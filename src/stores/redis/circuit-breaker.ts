/**
 * A circuit breaker for a remote store: after `failureThreshold` consecutive failures it
 * opens and operations fail fast (no waiting on a dead server); once `cooldownMs` has passed
 * one operation is let through as a probe (half-open); its success closes the breaker, its
 * failure opens it for another cooldown.
 */

import { quote } from '../../duration.js';
import type { CircuitBreakerOptions, CircuitState } from '../../options/circuit-breaker.js';
import { CIRCUIT_BREAKER_DEFAULTS } from '../../defaults.js';

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const NAMES: readonly CircuitState[] = ['closed', 'open', 'half-open'];

/** See the file comment. Synchronous and allocation-free on the closed path. */
export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private state_ = CLOSED;
  private failures = 0;
  private openedAt = 0;
  private probing = false;
  private readonly clock: { now(): number };
  private readonly onStateChange: ((state: CircuitState, cause?: unknown) => void) | undefined;

  constructor(options: CircuitBreakerOptions = {}) {
    const threshold = options.failureThreshold ?? CIRCUIT_BREAKER_DEFAULTS.failureThreshold;
    if (!Number.isInteger(threshold) || threshold < 1) {
      throw new TypeError(`breaker.failureThreshold: expected an integer >= 1; got ${quote(options.failureThreshold)}`);
    }
    const cooldown = options.cooldownMs ?? CIRCUIT_BREAKER_DEFAULTS.cooldownMs;
    if (typeof cooldown !== 'number' || !Number.isFinite(cooldown) || cooldown < 0) {
      throw new TypeError(`breaker.cooldownMs: expected milliseconds (a number >= 0); got ${quote(options.cooldownMs)}`);
    }
    if (options.onStateChange !== undefined && typeof options.onStateChange !== 'function') {
      throw new TypeError(`breaker.onStateChange: expected a function; got ${quote(options.onStateChange)}`);
    }
    this.failureThreshold = threshold;
    this.cooldownMs = cooldown;
    this.clock = options.clock ?? Date;
    this.onStateChange = options.onStateChange;
  }

  /** The current state (an open breaker whose cooldown has passed still reads `open` until the next operation probes). */
  get state(): CircuitState {
    return NAMES[this.state_]!;
  }

  /** Consecutive failures counted so far (reset by a success). */
  get consecutiveFailures(): number {
    return this.failures;
  }

  /**
   * Whether an operation may run now. An open breaker whose cooldown has passed admits exactly
   * one operation (the probe) and turns half-open; the caller must then report its outcome.
   */
  admit(): boolean {
    if (this.state_ === CLOSED) return true;
    if (this.state_ === OPEN) {
      if (this.clock.now() - this.openedAt < this.cooldownMs) return false;
      this.probing = true;
      this.set(HALF_OPEN);
      return true;
    }
    if (this.probing) return false;
    this.probing = true;
    return true;
  }

  /** An admitted operation succeeded (the server answered). */
  success(): void {
    if (this.state_ === CLOSED) {
      this.failures = 0;
    } else if (this.state_ === HALF_OPEN) {
      this.failures = 0;
      this.probing = false;
      this.set(CLOSED);
    }
    // a late answer while open proves little: the probe decides
  }

  /** An admitted operation failed because the server did not answer (timeout, connection lost). */
  failure(cause?: unknown): void {
    if (this.state_ === CLOSED) {
      if (++this.failures >= this.failureThreshold) this.open(cause);
    } else if (this.state_ === HALF_OPEN) {
      this.probing = false;
      this.open(cause);
    }
  }

  /** Closes the breaker at once (the connection reported it is ready again). */
  reset(): void {
    this.failures = 0;
    this.probing = false;
    if (this.state_ !== CLOSED) this.set(CLOSED);
  }

  private open(cause: unknown): void {
    this.openedAt = this.clock.now();
    this.set(OPEN, cause);
  }

  private set(state: number, cause?: unknown): void {
    this.state_ = state;
    this.onStateChange?.(NAMES[state]!, cause);
  }
}
