/** Counters of one decorated method (or of the whole runtime). */
export interface CacheStats {
  /** Reads answered from the cache. */
  hits: number;
  /** Reads that ran the method. */
  misses: number;
  /** hits / (hits + misses), 0 before any read. */
  hitRate: number;
  /** Entries written to a store. */
  sets: number;
  /** Entries evicted for room by a memory store (runtime total only). */
  evictions: number;
  /** Keys, namespaces and tags invalidated. */
  invalidations: number;
  /** Store failures and other errors reported through the error hook. */
  errors: number;
  /** Calls that skipped the cache (`condition` false, `runtime.bypass`). */
  bypasses: number;
  /** Reads answered with a stale value within its grace (the reload failed, timed out or is backing off). */
  stale: number;
  /** Background reloads started by refresh-ahead. */
  refreshes: number;
  /** Loads that passed their `timeout` or `hardTimeout`. */
  timeouts: number;
  /** Write-behind writes accepted. */
  queued: number;
  /** Write-behind writes that reached their method. */
  flushed: number;
  /** Write-behind attempts that failed and will be retried. */
  retries: number;
  /** Write-behind writes handed to the dead-letter handler. */
  deadLetters: number;
}

/** What `runtime.stats()` returns: totals and a breakdown by method (`Class.method`). */
export interface CacheStatsReport extends CacheStats {
  methods: Record<string, CacheStats>;
}

/** The live counters of one method; plain fields so the hot path only increments numbers. */
export class StatsCounter {
  hits = 0;
  misses = 0;
  sets = 0;
  evictions = 0;
  invalidations = 0;
  errors = 0;
  bypasses = 0;
  stale = 0;
  refreshes = 0;
  timeouts = 0;
  queued = 0;
  flushed = 0;
  retries = 0;
  deadLetters = 0;

  /** A snapshot with the hit rate computed. */
  snapshot(): CacheStats {
    const reads = this.hits + this.misses;
    return {
      hits: this.hits,
      misses: this.misses,
      hitRate: reads === 0 ? 0 : this.hits / reads,
      sets: this.sets,
      evictions: this.evictions,
      invalidations: this.invalidations,
      errors: this.errors,
      bypasses: this.bypasses,
      stale: this.stale,
      refreshes: this.refreshes,
      timeouts: this.timeouts,
      queued: this.queued,
      flushed: this.flushed,
      retries: this.retries,
      deadLetters: this.deadLetters,
    };
  }

  /** Sets every counter to zero, in place (the calls that hold this counter count on). */
  reset(): void {
    this.hits = this.misses = this.sets = this.evictions = this.invalidations = this.errors = 0;
    this.bypasses = this.stale = this.refreshes = this.timeouts = 0;
    this.queued = this.flushed = this.retries = this.deadLetters = 0;
  }

  /** Adds another counter's values into this one. */
  add(other: StatsCounter): void {
    this.hits += other.hits;
    this.misses += other.misses;
    this.sets += other.sets;
    this.evictions += other.evictions;
    this.invalidations += other.invalidations;
    this.errors += other.errors;
    this.bypasses += other.bypasses;
    this.stale += other.stale;
    this.refreshes += other.refreshes;
    this.timeouts += other.timeouts;
    this.queued += other.queued;
    this.flushed += other.flushed;
    this.retries += other.retries;
    this.deadLetters += other.deadLetters;
  }
}
