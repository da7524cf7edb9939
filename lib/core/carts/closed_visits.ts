/**
 * Checked-out visits, remembered until they expire (docs/engine.md, "Closed markers"): a few
 * typed columns per visit instead of an object each. After a backfill every visit of the day is
 * remembered for `MAX_SESSION_AGE_SEC` of processing time, so this is most of what the engine
 * holds then.
 *
 * @example
 * ```ts
 * import { ClosedVisits } from "./closed_visits.ts";
 * const closed = new ClosedVisits();
 * const slot = closed.add("c-1", {
 *   session: { entryUs: 0, exitUs: 600e6 },
 *   checkoutUs: 600e6,
 *   horizonUs: 11_400e6,
 *   wallUs: 1.8e15,
 *   maxOffsets: [0, 41],
 * });
 * closed.alreadyApplied(slot, 0, 40); // true: a re-delivery of the checked-out visit
 * ```
 * @module
 */

/** What is remembered of one checked-out visit. */
export interface ClosedVisit {
  /** The session (for duplicate detection), or null for a cart without one. */
  session: { entryUs: number; exitUs: number } | null;
  /** The checkout's time (the transaction's `timestamp`, µs). */
  checkoutUs: number;
  /** Event times at or past this start a new visit (µs). */
  horizonUs: number;
  /** Wall clock of the checkout (µs); -Infinity when none was known. */
  wallUs: number;
  /** Highest applied offset per shelf partition, flat `[partition, offset, …]`, or null. */
  maxOffsets: number[] | null;
}

/** Offsets kept inline per visit; visits with events from more partitions keep an array. */
const INLINE = 4;

/** The checked-out visits, by customer id. */
export class ClosedVisits {
  readonly #slots = new Map<string, number>();
  #ids: string[] = [];
  #free: number[] = [];
  #cap = 0;
  #entry = new Float64Array(0); // NaN: no session
  #exit = new Float64Array(0);
  #checkout = new Float64Array(0);
  #horizon = new Float64Array(0);
  #wall = new Float64Array(0);
  /** INLINE (partition, offset) pairs per slot; partition -1 ends the list. */
  #offsets = new Float64Array(0);
  #moreOffsets = new Map<number, number[]>();

  /** Visits remembered. */
  get size(): number {
    return this.#slots.size;
  }

  /** The slot of `id`'s checked-out visit, or -1. */
  slotOf(id: string): number {
    return this.#slots.get(id) ?? -1;
  }

  /** The customer id of a slot. */
  idOf(slot: number): string {
    return this.#ids[slot];
  }

  /** Remembers `id`'s visit (replacing one it had); returns its slot. */
  add(id: string, v: ClosedVisit): number {
    const old = this.#slots.get(id);
    if (old !== undefined) this.remove(old);
    const slot = this.#free.pop() ?? this.#grow();
    this.#slots.set(id, slot);
    this.#ids[slot] = id;
    this.#entry[slot] = v.session === null ? NaN : v.session.entryUs;
    this.#exit[slot] = v.session === null ? NaN : v.session.exitUs;
    this.#checkout[slot] = v.checkoutUs;
    this.#horizon[slot] = v.horizonUs;
    this.#wall[slot] = v.wallUs;
    const m = v.maxOffsets ?? [];
    if (m.length > 2 * INLINE) this.#moreOffsets.set(slot, m);
    for (let k = 0; k < INLINE; k++) {
      this.#offsets[(slot * INLINE + k) * 2] = 2 * k < m.length ? m[2 * k] : -1;
      this.#offsets[(slot * INLINE + k) * 2 + 1] = 2 * k < m.length ? m[2 * k + 1] : 0;
    }
    return slot;
  }

  /** Forgets a slot's visit. */
  remove(slot: number): void {
    this.#slots.delete(this.#ids[slot]);
    this.#ids[slot] = "";
    this.#moreOffsets.delete(slot);
    this.#free.push(slot);
  }

  /** Whether the slot's session is `entryUs`..`exitUs` (the same session delivered again). */
  sameSession(slot: number, entryUs: number, exitUs: number): boolean {
    return this.#entry[slot] === entryUs && this.#exit[slot] === exitUs;
  }

  /** The horizon of a slot: event times at or past it are a new visit. */
  horizonOf(slot: number): number {
    return this.#horizon[slot];
  }

  /** The wall clock of a slot's checkout. */
  wallOf(slot: number): number {
    return this.#wall[slot];
  }

  /** Whether the record at (`partition`, `offset`) was part of the slot's visit. */
  alreadyApplied(slot: number, partition: number, offset: number): boolean {
    const more = this.#moreOffsets.get(slot);
    if (more !== undefined) {
      for (let i = 0; i < more.length; i += 2) {
        if (more[i] === partition) return offset <= more[i + 1];
      }
      return false;
    }
    for (let k = 0; k < INLINE; k++) {
      const i = (slot * INLINE + k) * 2;
      const p = this.#offsets[i];
      if (p === -1) return false;
      if (p === partition) return offset <= this.#offsets[i + 1];
    }
    return false;
  }

  /** The slot's visit, as added. */
  get(slot: number): ClosedVisit {
    const more = this.#moreOffsets.get(slot);
    let maxOffsets: number[] | null = more ?? [];
    if (more === undefined) {
      for (let k = 0; k < INLINE; k++) {
        const i = (slot * INLINE + k) * 2;
        if (this.#offsets[i] === -1) break;
        maxOffsets.push(this.#offsets[i], this.#offsets[i + 1]);
      }
    }
    if (maxOffsets.length === 0) maxOffsets = null;
    const entryUs = this.#entry[slot];
    return {
      session: entryUs === entryUs ? { entryUs, exitUs: this.#exit[slot] } : null,
      checkoutUs: this.#checkout[slot],
      horizonUs: this.#horizon[slot],
      wallUs: this.#wall[slot],
      maxOffsets,
    };
  }

  #grow(): number {
    const slot = this.#cap;
    if (slot === this.#entry.length) {
      const cap = Math.max(1024, slot * 2);
      const grow = (a: Float64Array, n = 1) => {
        const b = new Float64Array(cap * n);
        b.set(a);
        return b;
      };
      this.#entry = grow(this.#entry);
      this.#exit = grow(this.#exit);
      this.#checkout = grow(this.#checkout);
      this.#horizon = grow(this.#horizon);
      this.#wall = grow(this.#wall);
      this.#offsets = grow(this.#offsets, INLINE * 2);
    }
    this.#cap++;
    return slot;
  }
}
