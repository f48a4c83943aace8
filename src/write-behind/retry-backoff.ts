/**
 * The delay before retry number `attempt` (1 for the first retry): exponential backoff with
 * full jitter, a uniform draw in [0, min(maxMs, baseMs * 2^(attempt-1))). Full jitter spreads
 * the retries of many failed writes so they do not hit a recovering database together.
 */
export function retryDelay(attempt: number, baseMs: number, maxMs: number, random: () => number): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}
