/**
 * Every customer's state: open visits (by id, and by id bytes for the fast path), checked-out
 * visits remembered until they expire, the item table, the highest offset applied per shelf
 * partition, and which states changed since the last drain (serialized only then).
 *
 * @example
 * ```ts
 * import { Visits } from "./visits.ts";
 * const visits = new Visits();
 * visits.open("c-1");
 * visits.stateOf("c-1"); // "open"
 * ```
 * @module
 */
import { type ClosedVisit, ClosedVisits } from "./closed_visits.ts";
import { maxOffsetsOf } from "./cart.ts";
import { Customer, GONE, IN_NO_HEAP } from "./customer.ts";
import { IdCache } from "../decode/id_cache.ts";
import { ItemTable } from "./item_table.ts";
import { serializeClosedVisit, serializeCustomer } from "./state_codec.ts";

/** The customers' state; the rules that change it are in shelf_events.ts and sessions.ts. */
export class Visits {
  /** Item ids, interned. */
  readonly items = new ItemTable();
  /** Checked-out visits, remembered until they expire. */
  readonly closed = new ClosedVisits();
  /** Gauge: open customers with at least one shelf event. */
  openCarts = 0;
  /** Gauge: open customers with a session. */
  openSessions = 0;
  private readonly customers = new Map<string, Customer>();
  /** Customer id bytes → (id, Customer): a known customer costs no string, no Map.get. */
  private readonly byIdBytes = new IdCache<Customer>();
  /** Per shelf partition, the highest offset applied or held by restored state (-1: none). */
  private readonly highestOffset: number[] = [];
  /** Open customers changed since the last drain. */
  private dirty: Customer[] = [];
  /** Ids whose closed visit was added or removed since the last drain. */
  private dirtyIds: string[] = [];

  /** Customers with state (open or closed). */
  get size(): number {
    return this.customers.size + this.closed.size;
  }

  /** The open customer `id`, or undefined. */
  get(id: string): Customer | undefined {
    return this.customers.get(id);
  }

  /** The id-cache slot of the customer id `b[s, e)` (FNV-1a `hash`), added when missing. */
  slotOfIdBytes(hash: number, b: Uint8Array, s: number, e: number): number {
    const slot = this.byIdBytes.find(hash, b, s, e);
    return slot >= 0 ? slot : this.byIdBytes.insert(hash, b, s, e);
  }

  /** The customer id of an id-cache slot. */
  idAt(slot: number): string {
    return this.byIdBytes.strings[slot]!;
  }

  /** The open customer of an id-cache slot (the cached one while it is live). */
  customerAt(slot: number): Customer | undefined {
    const cache = this.byIdBytes;
    let c = cache.values[slot];
    if (c === undefined || c.status === GONE) {
      c = this.customers.get(cache.strings[slot]!);
      cache.values[slot] = c;
    }
    return c;
  }

  /** Caches `c` as the customer of an id-cache slot. */
  cacheAt(slot: number, c: Customer | undefined): void {
    this.byIdBytes.values[slot] = c;
  }

  /** Starts an open visit for `id`. */
  open(id: string): Customer {
    const c = new Customer(id);
    this.customers.set(id, c);
    return c;
  }

  /** Adds a restored open customer. */
  adopt(c: Customer): void {
    this.customers.set(c.id, c);
    if (c.ev.length > 0) this.openCarts++;
    if (c.hasSession) this.openSessions++;
    this.noteOffsets(maxOffsetsOf(c));
  }

  /** Ends `c`'s open visit (checked out, or replaced by a restore). */
  close(c: Customer): void {
    if (c.ev.length > 0) this.openCarts--;
    if (c.hasSession) this.openSessions--;
    c.status = GONE;
    c.queue = IN_NO_HEAP;
    this.customers.delete(c.id);
  }

  /** Remembers a checked-out visit; returns its slot. */
  remember(id: string, v: ClosedVisit): number {
    this.dirtyIds.push(id);
    return this.closed.add(id, v);
  }

  /** Adds a restored checked-out visit (no state change to write); returns its slot. */
  adoptClosed(id: string, v: ClosedVisit): number {
    this.noteOffsets(v.maxOffsets);
    return this.closed.add(id, v);
  }

  /** Forgets a closed visit (expired, or replaced by a new visit); writes a tombstone. */
  forgetClosed(slot: number): void {
    this.dirtyIds.push(this.closed.idOf(slot));
    this.closed.remove(slot);
  }

  /** Drops whatever state `id` has, without a state change (before a restore). */
  drop(id: string): void {
    const old = this.customers.get(id);
    if (old !== undefined) this.close(old);
    const slot = this.closed.slotOf(id);
    if (slot >= 0) this.closed.remove(slot);
  }

  /**
   * Records (partition, offset) as applied; true when it is above every offset seen on the
   * partition. Records of a partition arrive in offset order, so only one at or below can be a
   * re-delivery, and in steady state this costs one comparison.
   */
  isNewOffset(partition: number, offset: number): boolean {
    if (offset > (this.highestOffset[partition] ?? -1)) {
      this.highestOffset[partition] = offset;
      return true;
    }
    return false;
  }

  /** Marks `c`'s state changed. */
  markDirty(c: Customer): void {
    if (c.dirty) return;
    c.dirty = true;
    this.dirty.push(c);
  }

  /** Whether any state exists for `id`, and which. */
  stateOf(id: string): "open" | "closed" | null {
    if (this.customers.has(id)) return "open";
    return this.closed.slotOf(id) >= 0 ? "closed" : null;
  }

  /**
   * Every state changed since the last call, serialized, or null (a tombstone); one entry per
   * customer. A customer deleted and re-created since the last drain: the live object wins.
   */
  drainChanges(into: Map<string, string | null>): void {
    const ids = new Set<string>(this.dirtyIds);
    for (const c of this.dirty) {
      c.dirty = false;
      ids.add(c.id);
    }
    this.dirty = [];
    this.dirtyIds = [];
    for (const id of ids) {
      const live = this.customers.get(id);
      const slot = live === undefined ? this.closed.slotOf(id) : -1;
      into.set(
        id,
        live !== undefined
          ? serializeCustomer(live, this.items)
          : slot >= 0
          ? serializeClosedVisit(this.closed.get(slot))
          : null,
      );
    }
  }

  /** Raises the highest offsets to those held by restored state (flat pairs). */
  private noteOffsets(held: number[] | null): void {
    for (let i = 0; held !== null && i < held.length; i += 2) {
      const p = held[i];
      if (!(held[i + 1] <= (this.highestOffset[p] ?? -1))) this.highestOffset[p] = held[i + 1];
    }
  }
}
