/**
 * Offline replay (SPEC §8): the engine over two JSONL files, as if each were a one-partition
 * topic complete before the service started: stream time is event time, and the end of a
 * file is the end of its input.
 *
 * Memory: each file is held as its raw bytes plus 16 bytes per line (line bounds, event time);
 * no per-line strings or objects outlive the line's turn. Lines are parsed twice (once for the
 * event time that orders the merge, once by the engine), which keeps the engine's input exactly
 * what Kafka would deliver: the bytes of the record value.
 * @module
 */
import {
  type DlqRecord,
  Engine,
  type EngineConfig,
  eventTimeOf,
  type InputRecord,
  IsoParser,
  newParseScratch,
  parseValue,
  type Progress,
  type Source,
} from "../core/mod.ts";
import { driveRecords, EngineDriver } from "../drive/driver.ts";
import { MemoryCommitter } from "../drive/memory_committer.ts";

/** One input file, already read. */
export interface ReplayInput {
  /** Shown in DLQ lines (`file`). */
  name: string;
  bytes: Uint8Array;
}

/** A DLQ line of replay: reason, where the record came from, and the original line. */
export interface ReplayDlqLine {
  reason: string;
  detail?: string;
  source: Source;
  file: string;
  /** 1-based line number in `file`. */
  line: number;
  /** The original line (text; invalid UTF-8 replaced). */
  original: string;
}

/** What a replay produced. */
export interface ReplayResult {
  /** Transaction values (JSON), ordered by timestamp, then customer_id. */
  transactions: string[];
  /** Lines read per file (blank lines included) and blank lines skipped. */
  lines: { foot: number; shelf: number; blank: number };
  /** DLQ lines by reason. */
  dlqByReason: Record<string, number>;
  engine: ReturnType<Engine["metrics"]>;
}

/** Replay options: the engine's settings. */
export type ReplayConfig = EngineConfig;

/** Line index of one file: bounds and event time of every non-blank line, in file order. */
class LineIndex {
  starts: Float64Array;
  ends: Float64Array;
  times: Float64Array;
  lineNo: Float64Array;
  n = 0;
  blank = 0;
  total = 0;
  sorted = true;
  constructor(cap: number) {
    this.starts = new Float64Array(cap);
    this.ends = new Float64Array(cap);
    this.times = new Float64Array(cap);
    this.lineNo = new Float64Array(cap);
  }
  add(start: number, end: number, time: number, lineNo: number): void {
    if (this.n === this.starts.length) {
      const cap = this.n * 2 + 16;
      const grow = (a: Float64Array) => {
        const b = new Float64Array(cap);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
      this.times = grow(this.times);
      this.lineNo = grow(this.lineNo);
    }
    this.starts[this.n] = start;
    this.ends[this.n] = end;
    this.times[this.n] = time;
    this.lineNo[this.n] = lineNo;
    this.n++;
  }
}

/**
 * Splits `bytes` into lines and computes each line's merge time: a foot line's `entry_time`, a
 * shelf line's `timestamp`; a line without one (or unparseable) takes the time of the line
 * before it in the file, and leading lines without one take the first time in the file.
 * `times` is the replay's one parser (a parser per line would be an allocation per line).
 */
function indexLines(source: Source, bytes: Uint8Array, times: IsoParser): LineIndex {
  const idx = new LineIndex(1024);
  const ps = newParseScratch();
  let pos = 0;
  let lineNo = 0;
  let prev = NaN;
  let leading = 0; // lines before the first known time
  const len = bytes.length;
  while (pos < len) {
    let nl = bytes.indexOf(10, pos);
    if (nl < 0) nl = len;
    lineNo++;
    let end = nl;
    if (end > pos && bytes[end - 1] === 13) end--;
    let blank = true;
    for (let i = pos; i < end; i++) {
      const b = bytes[i];
      if (b !== 32 && b !== 9) {
        blank = false;
        break;
      }
    }
    if (blank) idx.blank++;
    else {
      let t = NaN;
      if (parseValue(bytes.subarray(pos, end), ps)) t = eventTimeOf(source, ps.obj!, times);
      if (t === t) prev = t;
      else t = prev;
      if (t !== t) leading++;
      idx.add(pos, end, t, lineNo);
    }
    pos = nl + 1;
  }
  idx.total = lineNo;
  const firstKnown = leading < idx.n ? idx.times[leading] : 0;
  for (let i = 0; i < leading; i++) idx.times[i] = firstKnown;
  for (let i = 1; i < idx.n; i++) {
    if (idx.times[i] < idx.times[i - 1]) {
      idx.sorted = false;
      break;
    }
  }
  return idx;
}

/** Positions of `idx`'s lines in event-time order (ties keep file order). */
function timeOrder(idx: LineIndex): Uint32Array {
  const order = new Uint32Array(idx.n);
  for (let i = 0; i < idx.n; i++) order[i] = i;
  if (!idx.sorted) {
    const t = idx.times;
    order.sort((a, b) => t[a] - t[b] || a - b);
  }
  return order;
}

const LENIENT = new TextDecoder();

/** Records between commits: how often DLQ lines are handed out (bounds what is held). */
const COMMIT_EVERY = 4096;

/** One input file, indexed, and the file line of each offset the engine saw (for DLQ lines). */
interface IndexedInput {
  input: ReplayInput;
  idx: LineIndex;
  order: Uint32Array;
  lineOfOffset: Float64Array;
}

function indexInput(source: Source, input: ReplayInput, times: IsoParser): IndexedInput {
  const idx = indexLines(source, input.bytes, times);
  return { input, idx, order: timeOrder(idx), lineOfOffset: new Float64Array(idx.n) };
}

/** The original text of line `lineNo` (DLQ records carry offsets, not lines). */
function lineByNo({ input, idx }: IndexedInput, lineNo: number): string {
  // lineNo is increasing in file order: binary search.
  let lo = 0, hi = idx.n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = idx.lineNo[mid];
    if (v === lineNo) return LENIENT.decode(input.bytes.subarray(idx.starts[mid], idx.ends[mid]));
    if (v < lineNo) lo = mid + 1;
    else hi = mid - 1;
  }
  return "";
}

/**
 * Both files merged by event time, as records. The engine sees each file as a partition whose
 * offsets are the order lines are applied in (Kafka's promise: a partition's records arrive in
 * offset order); `lineOfOffset` maps them back. One record object is reused for every line.
 */
function* mergedRecords(inputs: Record<Source, IndexedInput>): Generator<InputRecord> {
  const f = inputs.foot, s = inputs.shelf;
  const rec: InputRecord = {
    source: "foot",
    topic: "foot",
    partition: 0,
    offset: "0",
    value: null,
    timestampMs: 0,
  };
  let i = 0, j = 0;
  while (i < f.idx.n || j < s.idx.n) {
    const useFoot = j >= s.idx.n ||
      (i < f.idx.n && f.idx.times[f.order[i]] <= s.idx.times[s.order[j]]);
    const offset = useFoot ? i : j;
    const line = useFoot ? f.order[i++] : s.order[j++];
    const { idx, lineOfOffset, input } = useFoot ? f : s;
    rec.source = rec.topic = useFoot ? "foot" : "shelf";
    lineOfOffset[offset] = idx.lineNo[line];
    rec.offset = String(offset);
    rec.value = input.bytes.subarray(idx.starts[line], idx.ends[line]);
    rec.timestampMs = idx.times[line] / 1000;
    yield rec;
  }
}

/** The DLQ records of one commit as lines of the files, counted by reason. */
function dlqLines(
  dlq: DlqRecord[],
  inputs: Record<Source, IndexedInput>,
  byReason: Record<string, number>,
): ReplayDlqLine[] {
  return dlq.map((d) => {
    const source: Source = d.topic === "foot" ? "foot" : "shelf";
    const lineNo = inputs[source].lineOfOffset[Number(d.offset)];
    const l: ReplayDlqLine = {
      reason: d.reason,
      source,
      file: inputs[source].input.name,
      line: lineNo,
      original: lineByNo(inputs[source], lineNo),
    };
    if (d.detail !== undefined) l.detail = d.detail;
    byReason[d.reason] = (byReason[d.reason] ?? 0) + 1;
    return l;
  });
}

/** Each file one partition, not caught up until its end: stream time is event time. */
function fileProgress(caughtUp: boolean): Progress {
  return {
    partitions: [
      { source: "foot", partition: 0, caughtUp },
      { source: "shelf", partition: 0, caughtUp },
    ],
  };
}

/**
 * Runs the engine over `foot` and `shelf` (SPEC §8). DLQ lines are handed to `onDlq` as they
 * happen (with `await`, every few thousand records); transactions are returned sorted.
 */
export async function replay(
  foot: ReplayInput,
  shelf: ReplayInput,
  config: ReplayConfig,
  onDlq: (lines: ReplayDlqLine[]) => void | Promise<void> = () => {},
): Promise<ReplayResult> {
  const times = new IsoParser();
  const inputs = {
    foot: indexInput("foot", foot, times),
    shelf: indexInput("shelf", shelf, times),
  };
  const committer = new MemoryCommitter();
  const driver = new EngineDriver<void, MemoryCommitter>(new Engine(config), committer);
  const running = fileProgress(false), complete = fileProgress(true);
  const dlqByReason: Record<string, number> = {};
  // Advancing after every record: a file's records are not in event-time order everywhere.
  const cadence = { advanceEvery: 1, commitEvery: COMMIT_EVERY };
  const drive = driveRecords(driver, mergedRecords(inputs), () => running, () => complete, cadence);
  const flushDlq = async () => {
    if (committer.dlq.length > 0) await onDlq(dlqLines(committer.dlq, inputs, dlqByReason));
    committer.dlq = [];
  };
  for (const _ of drive) await flushDlq();
  await flushDlq(); // the final commit
  const { idx: fi } = inputs.foot, { idx: si } = inputs.shelf;
  return {
    transactions: committer.sortedTransactions().map((t) => t.value),
    lines: { foot: fi.total, shelf: si.total, blank: fi.blank + si.blank },
    dlqByReason,
    engine: driver.engine.metrics(),
  };
}
