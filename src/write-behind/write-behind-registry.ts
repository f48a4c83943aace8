/**
 * The write-behind side of a runtime: one flusher per decorated method, created on first
 * use. (PLACEHOLDER interface: the write-behind implementation fills it in.)
 */
export interface WriteBehindRegistry {
  /** The value queued for a full key, if a write of it is pending (read-your-writes). */
  pending(key: string): { value: unknown } | undefined;
  /** Whether any write is queued at all (a cheap check for the hit path). */
  readonly hasPending: boolean;
  /** Resolves when every write queued before the call has reached its method. */
  flush(): Promise<void>;
  /** Flushes, then stops timers and signal handlers. */
  close(): Promise<void>;
}
