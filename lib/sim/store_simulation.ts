/**
 * A simulated store: customers arriving by weekday and time slot, trips of 10–75 minutes, a
 * pickup/putback mix, items chosen with a weight for visibility and discount. It yields the
 * records the real upstream producers send (foot sessions at entry, keyed by customer; shelf
 * events unkeyed with `weight_change` noise; Python `isoformat()` timestamps with µs), in
 * event-time order, so `demo` can feed them to the engine and `simulate` to Kafka.
 *
 * Time: customers are modeled in the store's own time (trips of 10–75 minutes); a
 * {@link SimClock} says how those instants are written: a live run maps them onto the wall clock
 * (`simulate --time-scale 60`: a 40-minute trip is written, and sent, as 40 s from now).
 *
 * Pure: a seeded PRNG, no clock, no I/O. The same options give the same records.
 * @module
 */

/** One item the simulated customers can pick. */
export interface SimItem {
  id: string;
  /** Relative visibility on the shelf (> 0); how likely a customer is to see it. */
  visibility: number;
  /** Weight of one unit in grams (for the shelf sensor's `weight` field). */
  weightGrams: number;
}

/**
 * Where arrivals come from (modeled times). `untilUs`: nobody enters after it (the others still
 * finish their trips).
 */
export type Arrivals =
  /** One store day: the weekday's profile over its time slots, `customers` or its default. */
  | { kind: "day"; date: string; customers?: number; untilUs?: number }
  /** Constant Poisson arrivals from `startUs` at `perSecond` customers per simulated second. */
  | { kind: "rate"; startUs: number; perSecond: number; customers?: number; untilUs?: number };

/**
 * How modeled instants are written: `modeledUs` as `writtenUs`, modeled durations divided by
 * `timeScale` (> 0). `{ modeledUs: open, writtenUs: now, timeScale: 60 }` writes a day that
 * opens now and runs 60 times as fast as the wall clock, so each record's timestamp is the wall
 * clock time at which it is due.
 */
export interface SimClock {
  modeledUs: number;
  writtenUs: number;
  timeScale: number;
}

/** Which realistic faults to inject (demo: on; simulate: opt-in). */
export interface Faults {
  /** A shelf event that arrives after the customer's exit (late: DLQ). Every Nth customer. */
  lateEvery: number;
  /** A line that is not a valid shelf event (invalid: DLQ). Every Nth customer. */
  invalidEvery: number;
  /** The same foot session sent twice (a producer retry; ignored). Every Nth customer. */
  duplicateEvery: number;
  /** A putback of an item the customer never picked (a sensor mix-up; anomaly). */
  strayPutbackEvery: number;
}

/** The fault rates of `demo`: a few per thousand customers, at least one of each per day. */
export const DEFAULT_FAULTS: Faults = {
  lateEvery: 250,
  invalidEvery: 400,
  duplicateEvery: 350,
  strayPutbackEvery: 500,
};

/** Options of {@link StoreSimulation}. */
export interface SimulationOptions {
  items: readonly SimItem[];
  /** Discount (fraction 0..0.95) of an item at an instant; discounted items sell more. */
  discountOf?: (itemId: string, atMs: number) => number;
  seed: number;
  arrivals: Arrivals;
  /** Injected faults; none when undefined. */
  faults?: Faults;
  /** `weight_change` events from the shelf sensors after pickups and putbacks (default true). */
  noise?: boolean;
  /**
   * How timestamps are written (default: as modeled). The `weekday`, `time_slot` and
   * `trip_duration_minutes` fields keep describing the modeled visit.
   */
  clock?: SimClock;
}

/** What a record is, for counting (the value says the same to a consumer). */
export type RecordKind =
  | "session"
  | "pickup"
  | "putback"
  | "weight_change"
  | "late"
  | "invalid"
  | "duplicate_session";

/** One record as a producer would send it. */
export interface SimRecord {
  source: "foot" | "shelf";
  /** Record key: the customer id for foot sessions, null for shelf events. */
  key: string | null;
  /** Record value (JSON text, or deliberately broken text for an invalid record). */
  value: string;
  /** Event time (epoch µs, as written): when the producer sends it. */
  us: number;
  kind: RecordKind;
  /** The written exit time of a `session` record's visit. */
  exitUs?: number;
  /** Index of the customer (0-based, arrival order). */
  customer: number;
}

/** Store hours (UTC, the simulated store's local time) and time slots. */
export const TIME_SLOTS = [
  { label: "07:00–09:59", from: 7, to: 10 },
  { label: "10:00–12:59", from: 10, to: 13 },
  { label: "13:00–15:59", from: 13, to: 16 },
  { label: "16:00–18:59", from: 16, to: 19 },
  { label: "19:00–21:59", from: 19, to: 22 },
] as const;

/** Weekday names, Monday first (as Python's `strftime("%A")`). */
export const WEEKDAYS = [
  "Monday",
  "Tuesday",
  "Wednesday",
  "Thursday",
  "Friday",
  "Saturday",
  "Sunday",
] as const;

/** Customers of a default day by weekday (Monday first): quiet midweek, busy weekend. */
export const CUSTOMERS_BY_WEEKDAY = [900, 850, 950, 1000, 1200, 1500, 1100] as const;

/** Share of a day's customers by time slot: weekdays peak after work, weekends at midday. */
export const SLOT_SHARE = {
  weekday: [0.16, 0.2, 0.18, 0.3, 0.16],
  saturday: [0.08, 0.3, 0.3, 0.22, 0.1],
  sunday: [0.05, 0.32, 0.33, 0.2, 0.1],
} as const;

const MIN_US = 60_000_000;
const DAY_US = 86_400_000_000;

/** The longest trip (modeled µs): 75 minutes and up to a second. */
export const MAX_TRIP_US = 75 * MIN_US + 1_000_000;
/** A late pickup (a slow gateway) is written at least this long after the exit (µs). */
const MIN_LATE_US = 10_000_000;

/** A small deterministic PRNG (mulberry32), uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Python's `datetime.isoformat()` of a UTC instant in epoch µs (no fraction when whole). */
export function pyIsoformat(us: number): string {
  const ms = Math.floor(us / 1000);
  const micro = us - ms * 1000;
  const d = new Date(ms).toISOString();
  const frac = `${d.slice(20, 23)}${String(micro).padStart(3, "0")}`;
  return `${d.slice(0, 19)}${frac === "000000" ? "" : "." + frac}+00:00`;
}

/** Epoch µs of midnight UTC of `date` (YYYY-MM-DD); throws on a bad date. */
export function dayStartUs(date: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) throw new RangeError(`expected a date YYYY-MM-DD; got "${date}"`);
  const ms = Date.UTC(+m[1], +m[2] - 1, +m[3]);
  if (new Date(ms).toISOString().slice(0, 10) !== date) {
    throw new RangeError(`no such date: ${date}`);
  }
  return ms * 1000;
}

/** Weekday index (0 = Monday) of an instant. */
export function weekdayIndex(us: number): number {
  return (new Date(Math.floor(us / 1000)).getUTCDay() + 6) % 7;
}

function slotShare(weekday: number): readonly number[] {
  return weekday === 5
    ? SLOT_SHARE.saturday
    : weekday === 6
    ? SLOT_SHARE.sunday
    : SLOT_SHARE.weekday;
}

/** The `time_slot` label of an instant: a store slot, or the hours before or after them. */
export function timeSlotOf(us: number): string {
  const hour = Math.floor((((us % DAY_US) + DAY_US) % DAY_US) / 3_600_000_000);
  for (const s of TIME_SLOTS) if (hour >= s.from && hour < s.to) return s.label;
  return hour < TIME_SLOTS[0].from ? "00:00–06:59" : "22:00–23:59";
}

/** The default number of customers of a day (by its weekday). */
export function defaultCustomers(date: string): number {
  return CUSTOMERS_BY_WEEKDAY[weekdayIndex(dayStartUs(date))];
}

/** A min-heap of records by (time, sequence), so equal times keep generation order. */
class RecordHeap {
  private readonly a: { r: SimRecord; seq: number }[] = [];
  private seq = 0;
  get size(): number {
    return this.a.length;
  }
  private less(i: number, j: number): boolean {
    const x = this.a[i], y = this.a[j];
    return x.r.us < y.r.us || (x.r.us === y.r.us && x.seq < y.seq);
  }
  push(r: SimRecord): void {
    const a = this.a;
    a.push({ r, seq: this.seq++ });
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      [a[i], a[p]] = [a[p], a[i]];
      i = p;
    }
  }
  peekUs(): number {
    return this.a.length === 0 ? Infinity : this.a[0].r.us;
  }
  pop(): SimRecord {
    const a = this.a;
    const top = a[0].r;
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < a.length && this.less(l, m)) m = l;
        if (r < a.length && this.less(r, m)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m], a[i]];
        i = m;
      }
    }
    return top;
  }
}

/** Cumulative choice weights of the items for one ISO week (visibility × discount appeal). */
interface Choice {
  cumulative: Float64Array;
  total: number;
}

/**
 * The simulated store. `records()` yields every record in event-time order (ties in generation
 * order); customers are generated lazily, so an unbounded `rate` run uses bounded memory.
 */
export class StoreSimulation {
  /** Customers this simulation will generate at most (Infinity for an unbounded rate run). */
  readonly customers: number;
  /** Customers generated so far (each one just before its session is yielded). */
  generated = 0;
  /** Whether every customer has been generated: nobody else arrives. */
  arrivalsDone = false;
  private readonly opts: SimulationOptions;
  private readonly rand: () => number;
  private readonly choices = new Map<number, Choice>();
  /** Modeled µs → written µs. */
  readonly written: (us: number) => number;
  /** Modeled µs per written µs (1 without a clock). */
  private readonly scale: number;

  constructor(opts: SimulationOptions) {
    if (opts.items.length === 0) throw new RangeError("the simulation needs at least one item");
    this.opts = opts;
    this.rand = mulberry32(opts.seed);
    const c = opts.clock;
    if (c !== undefined && !(c.timeScale > 0)) throw new RangeError("timeScale must be > 0");
    this.scale = c?.timeScale ?? 1;
    this.written = c === undefined
      ? (us) => us
      : (us) => c.writtenUs + Math.round((us - c.modeledUs) / c.timeScale);
    const a = opts.arrivals;
    if (a.kind === "day") {
      this.customers = a.customers ?? defaultCustomers(a.date);
    } else {
      if (!(a.perSecond > 0)) throw new RangeError("arrival rate must be > 0");
      this.customers = a.customers ?? Infinity;
    }
  }

  /** Every record, in event-time order (as written). */
  *records(): Generator<SimRecord> {
    const heap = new RecordHeap();
    let i = 0;
    for (const entry of this.entryTimes()) {
      const at = this.written(entry);
      while (heap.peekUs() <= at) yield heap.pop();
      for (const r of this.customer(i, entry)) heap.push(r);
      this.generated = ++i;
    }
    this.arrivalsDone = true;
    while (heap.size > 0) yield heap.pop();
  }

  /** Entry times in ascending order. */
  private *entryTimes(): Generator<number> {
    const a = this.opts.arrivals;
    const rand = this.rand;
    const until = a.untilUs ?? Infinity;
    if (a.kind === "rate") {
      let t = a.startUs;
      for (let i = 0; i < this.customers; i++) {
        t += Math.max(1, Math.round(-Math.log(1 - rand()) / a.perSecond * 1e6));
        if (t > until) return;
        yield t;
      }
      return;
    }
    // A day: how many customers fall in each slot (largest remainder), then uniform inside it.
    const start = dayStartUs(a.date);
    const share = slotShare(weekdayIndex(start));
    const n = this.customers;
    const counts = share.map((s) => Math.floor(s * n));
    let left = n - counts.reduce((x, y) => x + y, 0);
    const order = share.map((s, k) => [s * n - counts[k], k]).sort((x, y) => y[0] - x[0]);
    for (let k = 0; left > 0; k = (k + 1) % order.length, left--) counts[order[k][1]]++;
    for (let s = 0; s < TIME_SLOTS.length; s++) {
      const from = start + TIME_SLOTS[s].from * 3_600_000_000;
      const width = (TIME_SLOTS[s].to - TIME_SLOTS[s].from) * 3_600_000_000;
      const times = new Float64Array(counts[s]);
      for (let k = 0; k < times.length; k++) times[k] = from + Math.floor(rand() * width);
      times.sort();
      for (const t of times) {
        if (t > until) return;
        yield t;
      }
    }
  }

  private choice(atUs: number): Choice {
    const week = Math.floor((atUs / 1000 / 86_400_000 + 3) / 7); // weeks since a Monday
    let c = this.choices.get(week);
    if (c === undefined) {
      const items = this.opts.items;
      const cumulative = new Float64Array(items.length);
      let total = 0;
      for (let k = 0; k < items.length; k++) {
        const d = this.opts.discountOf?.(items[k].id, atUs / 1000) ?? 0;
        // A discount makes an item up to ~4x as attractive (a 40% discount: 2.6x).
        total += Math.max(items[k].visibility, 1e-6) * (1 + 4 * Math.min(Math.max(d, 0), 0.95));
        cumulative[k] = total;
      }
      c = { cumulative, total };
      if (this.choices.size > 8) this.choices.clear();
      this.choices.set(week, c);
    }
    return c;
  }

  private pickItem(atUs: number): SimItem {
    const c = this.choice(atUs);
    const x = this.rand() * c.total;
    let lo = 0, hi = c.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (c.cumulative[mid] > x) hi = mid;
      else lo = mid + 1;
    }
    return this.opts.items[lo];
  }

  /**
   * Customer `index`'s id: a random-looking UUID v4 of which 64 bits are a bijection of
   * (seed, index), so two customers never share an id, in one run or across runs with other
   * seeds (the PRNG streams of two seeds are one stream shifted, so ids from it alone could
   * repeat). The other bits come from the PRNG.
   */
  private uuid(index: number): string {
    const rand = this.rand;
    let hex = "";
    for (let k = 0; k < 4; k++) {
      hex += Math.floor(rand() * 0x100000000).toString(16).padStart(8, "0");
    }
    const [hi, lo] = feistel(this.opts.seed >>> 0, index >>> 0);
    const id = hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
    const variant = "89ab"[parseInt(hex[16], 16) & 3];
    return `${id.slice(0, 8)}-${id.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${
      hex.slice(17, 20)
    }-${id.slice(12, 16)}${hex.slice(24, 32)}`;
  }

  private fault(every: number | undefined, i: number): boolean {
    if (every === undefined || !(every > 0)) return false;
    const n = this.customers;
    // Spread over the day, and at least one even in a short run.
    const offset = Math.floor(every * 0.37) % Math.min(every, Number.isFinite(n) ? n : every);
    return i % every === offset;
  }

  /** The records of customer `i`, who enters at `entry` (modeled). */
  private customer(i: number, entry: number): SimRecord[] {
    const rand = this.rand;
    const id = this.uuid(i);
    // Trips of 10–75 minutes, most around half an hour (sum of two uniforms).
    const tripUs = Math.round((10 + 65 * (rand() + rand()) / 2) * MIN_US + rand() * 1e6);
    const visit: Visit = { index: i, id, entry, tripUs, exit: entry + tripUs, records: [] };
    this.session(visit);
    const held = this.shop(visit);
    const faults = this.opts.faults;
    if (faults && this.fault(faults.strayPutbackEvery, i)) this.strayPutback(visit, held);
    if (faults && this.fault(faults.lateEvery, i)) this.latePickup(visit);
    if (faults && this.fault(faults.invalidEvery, i)) this.invalidLine(visit, faults.invalidEvery);
    return visit.records;
  }

  /** The foot session, sent at entry (and again, when that fault is due). */
  private session(visit: Visit): void {
    const { index, id, entry, exit, tripUs } = visit;
    const w = this.written;
    const value = JSON.stringify({
      event_type: "foot_traffic",
      customer_id: id,
      entry_time: pyIsoformat(w(entry)),
      exit_time: pyIsoformat(w(exit)),
      trip_duration_minutes: Math.round(tripUs / MIN_US),
      weekday: WEEKDAYS[weekdayIndex(entry)],
      time_slot: timeSlotOf(entry),
    });
    const session = { source: "foot", key: id, value, customer: index } as const;
    visit.records.push({ ...session, us: w(entry), kind: "session", exitUs: w(exit) });
    const faults = this.opts.faults;
    if (faults && this.fault(faults.duplicateEvery, index)) {
      const us = w(entry + 1_000_000 + Math.floor(this.rand() * 4e6));
      visit.records.push({ ...session, us, kind: "duplicate_session" });
    }
  }

  /** Pickups and putbacks spread over the trip; returns what is in the cart at the end. */
  private shop(visit: Visit): Map<string, Held> {
    const rand = this.rand;
    const { entry, tripUs } = visit;
    // Some people only look around (6%); others pick about one thing per five minutes.
    const actions = rand() < 0.06 ? 0 : 1 + Math.floor(rand() * (tripUs / MIN_US) / 2.5);
    const times: number[] = [];
    const span = tripUs - 60_000_000;
    for (let k = 0; k < actions; k++) times.push(entry + 30_000_000 + Math.floor(rand() * span));
    times.sort((x, y) => x - y);
    const held = new Map<string, Held>();
    for (const t of times) {
      if (held.size > 0 && rand() < 0.15) this.putBack(visit, held, t);
      else this.pickUp(visit, held, t);
    }
    return held;
  }

  /** Puts something back: usually all of it, sometimes one of several. */
  private putBack(visit: Visit, held: Map<string, Held>, t: number): void {
    const rand = this.rand;
    const keys = [...held.keys()];
    const h = held.get(keys[Math.floor(rand() * keys.length)])!;
    const qty = h.qty > 1 && rand() < 0.4 ? 1 : h.qty;
    h.qty -= qty;
    if (h.qty === 0) held.delete(h.item.id);
    this.shelfEvent(visit, "putback", h.item, qty, t);
  }

  /** Picks an item (1 unit mostly, up to 4). */
  private pickUp(visit: Visit, held: Map<string, Held>, t: number): void {
    const rand = this.rand;
    const item = this.pickItem(this.written(t));
    const r = rand();
    const qty = r < 0.75 ? 1 : r < 0.93 ? 2 : 3 + Math.floor(rand() * 2);
    const h = held.get(item.id);
    if (h) h.qty += qty;
    else held.set(item.id, { item, qty });
    this.shelfEvent(visit, "pickup", item, qty, t);
  }

  /** A pickup or putback event, and sometimes the shelf sensor's `weight_change` after it. */
  private shelfEvent(
    visit: Visit,
    kind: "pickup" | "putback",
    item: SimItem,
    qty: number,
    t: number,
  ): void {
    const rand = this.rand;
    const weight = Math.round(item.weightGrams * qty * (0.98 + rand() * 0.04));
    const us = this.written(t);
    const value = JSON.stringify({
      event_type: kind,
      customer_id: visit.id,
      item_id: item.id,
      quantity: qty,
      weight,
      timestamp: pyIsoformat(us),
    });
    visit.records.push({ source: "shelf", key: null, value, us, kind, customer: visit.index });
    if ((this.opts.noise ?? true) && rand() < 0.3) {
      const nt = this.written(t + 200_000 + Math.floor(rand() * 700_000));
      const noise = JSON.stringify({
        event_type: "weight_change",
        shelf_id: item.id,
        weight: Math.round(item.weightGrams * (5 + rand() * 40)),
        timestamp: pyIsoformat(nt),
      });
      visit.records.push({
        source: "shelf",
        key: null,
        value: noise,
        us: nt,
        kind: "weight_change",
        customer: visit.index,
      });
    }
  }

  /** A putback of an item the customer never picked (a sensor mix-up). */
  private strayPutback(visit: Visit, held: Map<string, Held>): void {
    let item = this.pickItem(this.written(visit.entry));
    if (held.has(item.id)) item = this.opts.items.find((x) => !held.has(x.id)) ?? item;
    if (!held.has(item.id)) {
      this.shelfEvent(visit, "putback", item, 1, visit.entry + Math.floor(visit.tripUs / 2));
    }
  }

  /**
   * The shelf sensor reports a pickup after the customer left (a slow gateway): 20–120 modeled
   * seconds after the exit, and never less than 10 s as written, so it is late for a service
   * that checks the visit out 2 s after the exit however fast the store's clock runs.
   */
  private latePickup(visit: Visit): void {
    const delay = 20_000_000 + Math.floor(this.rand() * 100_000_000);
    const t = this.written(visit.exit) + Math.max(Math.round(delay / this.scale), MIN_LATE_US);
    const item = this.pickItem(t);
    const value = JSON.stringify({
      event_type: "pickup",
      customer_id: visit.id,
      item_id: item.id,
      quantity: 1,
      weight: item.weightGrams,
      timestamp: pyIsoformat(t),
    });
    visit.records.push({
      source: "shelf",
      key: null,
      value,
      us: t,
      kind: "late",
      customer: visit.index,
    });
  }

  /** A line that is not a valid shelf event, a different kind each time the fault is due. */
  private invalidLine(visit: Visit, every: number): void {
    const t = this.written(visit.entry + Math.floor(this.rand() * visit.tripUs));
    const item = this.pickItem(t);
    const variants = invalidShelfLines(visit.id, item.id, t);
    const value = variants[Math.floor(visit.index / every) % variants.length];
    visit.records.push({
      source: "shelf",
      key: null,
      value,
      us: t,
      kind: "invalid",
      customer: visit.index,
    });
  }
}

/** One customer's visit while its records are generated (modeled times). */
interface Visit {
  /** Index of the customer (arrival order). */
  index: number;
  id: string;
  entry: number;
  tripUs: number;
  exit: number;
  records: SimRecord[];
}

/** fmix32 of MurmurHash3 with a round key: the round function of {@link feistel}. */
function mix32(x: number, key: number): number {
  let h = (x ^ key) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A bijection of 64-bit values (two 32-bit halves) that looks random: four Feistel rounds.
 * Different inputs give different outputs whatever the round function.
 */
export function feistel(hi: number, lo: number): [number, number] {
  let l = hi >>> 0, r = lo >>> 0;
  for (const key of [0x9e3779b9, 0x7f4a7c15, 0x94d049bb, 0xbf58476d]) {
    [l, r] = [r, (l ^ mix32(r, key)) >>> 0];
  }
  return [l, r];
}

/** An item in a customer's hands, and how many. */
interface Held {
  item: SimItem;
  qty: number;
}

/** The broken shelf lines a gateway or sensor sends, for customer `id`, item `itemId` at `t`. */
function invalidShelfLines(id: string, itemId: string, t: number): string[] {
  return [
    // cut off mid-record (a gateway restarted while writing)
    `{"event_type":"pickup","customer_id":"${id}","item_id":"${itemId}","quant`,
    // quantity 0
    JSON.stringify({
      event_type: "pickup",
      customer_id: id,
      item_id: itemId,
      quantity: 0,
      timestamp: pyIsoformat(t),
    }),
    // no customer
    JSON.stringify({
      event_type: "pickup",
      item_id: itemId,
      quantity: 1,
      timestamp: pyIsoformat(t),
    }),
    // a timestamp nobody can read
    JSON.stringify({
      event_type: "putback",
      customer_id: id,
      item_id: itemId,
      quantity: 1,
      timestamp: "07/11/2025 25:61",
    }),
  ];
}

/**
 * Mean records per customer, both topics (the session, pickups, putbacks and noise, no faults),
 * measured on a sample; `simulate --rate` uses it to turn records per second into arrivals per
 * second.
 */
export function recordsPerCustomer(
  opts: Omit<SimulationOptions, "arrivals" | "clock">,
): number {
  const sample = 2000;
  const sim = new StoreSimulation({
    ...opts,
    seed: opts.seed ^ 0x5eed,
    faults: undefined,
    arrivals: {
      kind: "rate",
      startUs: Date.UTC(2025, 10, 7, 9) * 1000,
      perSecond: 1,
      customers: sample,
    },
  });
  let n = 0;
  for (const _ of sim.records()) n++;
  return n / sample;
}
