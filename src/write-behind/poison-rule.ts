/**
 * The poison rule: whether a failed attempt counts toward `retry.attempts` (the item is poison)
 * or not (the database is down). It orders queueing, method-call starts and failures on a
 * logical clock of its own.
 */
import type { OutagePolicy } from '../options/write-behind.js';
import type { WriteItem, WriteUnit } from './write-item.js';

/**
 * The rule: the last successful method call of this flusher wrote other keys, started after
 * every item of the unit last failed (or was queued), and no other item has failed since. So a
 * write that keeps failing while writes started between its attempts succeed is poison; while
 * every recent attempt fails (an outage, whatever its length), and while the item is the only
 * write (nothing tells it from an outage), nothing counts and nothing is dead-lettered: one
 * attempt at most counts per success seen between failures. With `retry.onOutage:
 * 'dead-letter'` every failure counts.
 */
export class PoisonRule {
  /** A logical clock that moves when an item is queued, a method call starts and an attempt fails. */
  private clock = 0;
  /** The last successful unit: when its method call started (on `clock`) and its items (their keys are looked at only on a failure). */
  private lastSuccess: { startedAt: number; items: readonly WriteItem[] } | undefined;
  /** Items whose attempt failed since the last success. */
  private readonly failedSinceSuccess = new Set<WriteItem>();

  constructor(private readonly onOutage: OutagePolicy) {}

  /** Moves the clock. @returns the new time */
  tick(): number {
    return ++this.clock;
  }

  /** Whether the failed attempt of `unit` counts toward `retry.attempts`. Call before {@link failed}. */
  isPoisonFailure(unit: WriteUnit): boolean {
    if (this.onOutage === 'dead-letter') return true;
    const last = this.lastSuccess;
    if (last === undefined) return false;
    for (const item of unit.items) if (last.startedAt <= item.lastFailedAt || wrote(last.items, item.key)) return false;
    for (const failed of this.failedSinceSuccess) if (!unit.items.includes(failed)) return false;
    return true;
  }

  /** The method call of `unit` succeeded. */
  succeeded(unit: WriteUnit): void {
    this.lastSuccess = { startedAt: unit.startedAt ?? 0, items: unit.items };
    this.failedSinceSuccess.clear();
  }

  /** `item` failed an attempt. */
  failed(item: WriteItem): void {
    this.failedSinceSuccess.add(item);
  }
}

/** Whether one of `items` is of `key`. */
function wrote(items: readonly WriteItem[], key: string): boolean {
  for (const item of items) if (item.key === key) return true;
  return false;
}
