/** Options of `ManualScheduler`. */
export interface ManualSchedulerOptions {
  /** The starting time in ms. @default 0 */
  now?: number;
  /** The jitter source, e.g. `() => 0.5` for exact backoff delays. @default Math.random */
  random?: () => number;
}
