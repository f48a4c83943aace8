/** `closed`: operations run; `open`: they fail fast; `half-open`: one probe runs, the others fail fast. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of `CircuitBreaker`. */
export interface CircuitBreakerOptions {
  /** Consecutive failures (timeouts, lost connections) that open the breaker. @default 5 */
  failureThreshold?: number;
  /** How long the breaker stays open before it lets a probe through, in ms. @default 1000 */
  cooldownMs?: number;
  /** Called on every state change, with the failure that opened it (if any). @default none */
  onStateChange?: (state: CircuitState, cause?: unknown) => void;
  /** Source of time. @default Date */
  clock?: { now(): number };
}
