/**
 * What one recovery pass claimed from other (crashed) processes' journals, and what became of
 * it: every claimed entry ends `replayed` (its write reached the method, alone or coalesced
 * with newer calls of this process), `superseded` (a newer accepted write of its key, by any
 * process, made it moot), `deadLettered` (its write failed as poison, its `merge` threw, or it
 * could not be decoded), or `left` (still in the journal when this process closed: another
 * process replays it). Until then it is `pending`.
 */
export class ReplayPass {
  /** Entries claimed by the pass. */
  claimed = 0;
  /** Entries whose write reached the method. */
  replayed = 0;
  /** Entries dropped because a newer write of the key was accepted (last wins). */
  superseded = 0;
  /** Entries handed to `deadLetter` (or reported): poison writes, a `merge` that threw, undecodable entries. */
  deadLettered = 0;
  /** Entries left in the journal at close (another process replays them). */
  left = 0;
  private claiming = true;
  private resolveSettled!: () => void;
  /** Resolves once the pass is over and every entry it claimed has settled. */
  readonly settled = new Promise<void>((resolve) => (this.resolveSettled = resolve));

  /** Claimed entries not settled yet. */
  get pending(): number {
    return this.claimed - this.replayed - this.superseded - this.deadLettered - this.left;
  }

  /** The pass claimed `n` more entries. */
  claim(n: number): void {
    this.claimed += n;
  }

  /** The pass is over: no more entries will be claimed. */
  finish(): void {
    this.claiming = false;
    this.check();
  }

  /** Counts `n` entries as settled with `outcome`. */
  count(outcome: 'replayed' | 'superseded' | 'deadLettered' | 'left', n = 1): void {
    this[outcome] += n;
    this.check();
  }

  private check(): void {
    if (!this.claiming && this.pending <= 0) this.resolveSettled();
  }
}
