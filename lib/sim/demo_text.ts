/**
 * The demo summary as text for a person: headline figures, sales by time slot, top items, and
 * what the data-quality rules caught.
 * @module
 */
import type { DemoSummary } from "./demo_summary.ts";

const MONEY = new Intl.NumberFormat("en-US", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
});
const INT = new Intl.NumberFormat("en-US");

function money(x: number): string {
  return MONEY.format(x);
}

function int(x: number): string {
  return INT.format(x);
}

function pct(part: number, whole: number): string {
  return whole === 0 ? "0%" : `${(100 * part / whole).toFixed(1)}%`;
}

/** Bold and dim, or nothing when not writing to a terminal. */
interface Style {
  b: (t: string) => string;
  dim: (t: string) => string;
}

/** Label, figure, note rows, aligned. */
function rowsText(rows: [string, string, string][], st: Style): string[] {
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  return rows.map(([k, v, note]) =>
    `  ${k.padEnd(w0)}  ${v.padStart(w1)}${note ? "  " + st.dim(note) : ""}`
  );
}

function headerText(s: DemoSummary, st: Style): string[] {
  const disc = s.catalog.discounts === null
    ? "no discount file"
    : s.catalog.discountedItems === 0
    ? `no discounts this week (${s.catalog.discounts})`
    : `${int(s.catalog.discountedItems)} on discount this week`;
  return [
    st.b(`pos-producer demo: ${s.weekday} ${s.date} (ISO week ${s.isoWeek}), seed ${s.seed}`),
    st.dim(`catalog: ${s.catalog.source}, ${int(s.catalog.items)} items, ${disc}`),
    "",
    ...rowsText([
      ["customers", int(s.customers), `${int(s.leftWithoutBuying)} left without buying`],
      ["transactions", int(s.transactions), `${int(s.lines)} lines`],
      ["items sold", int(s.itemsSold), ""],
      ["revenue", money(s.revenue), `list price ${money(s.listPrice)}`],
      [
        "discount given",
        money(s.discountGiven),
        `${pct(s.discountGiven, s.listPrice)} of list, on ${int(s.discountedLines)} lines`,
      ],
      ["average basket", money(s.averageBasket), ""],
    ], st),
  ];
}

function slotsText(s: DemoSummary, st: Style): string[] {
  const sw = Math.max(...s.bySlot.map((x) => money(x.revenue).length), 7);
  return [
    "",
    st.b("by time slot"),
    st.dim(
      `  ${"slot".padEnd(11)}  ${"customers".padStart(9)}  ${"sales".padStart(6)}  ${
        "revenue".padStart(sw)
      }`,
    ),
    ...s.bySlot.map((x) =>
      `  ${x.slot.padEnd(11)}  ${int(x.customers).padStart(9)}  ${
        int(x.transactions).padStart(6)
      }  ${money(x.revenue).padStart(sw)}`
    ),
  ];
}

function topItemsText(s: DemoSummary, st: Style): string[] {
  const iw = Math.max(...s.topItems.map((t) => t.itemId.length), 4);
  const nw = Math.max(...s.topItems.map((t) => (t.name ?? "").length), 0);
  return [
    "",
    st.b("top items"),
    ...s.topItems.map((t, k) =>
      `  ${k + 1}. ${t.itemId.padEnd(iw)}  ${(t.name ?? "").padEnd(nw)}  ${
        int(t.quantity).padStart(5)
      } sold  ${money(t.revenue).padStart(9)}`
    ),
  ];
}

function qualityText(s: DemoSummary, st: Style): string[] {
  const q = s.quality;
  const reasons = Object.entries(q.invalidByReason).map(([r, n]) => `${r} ${n}`).join(", ");
  const skipped = Object.entries(q.skippedEvents).map(([k, n]) =>
    `${k.replace(/^\w+:/, "")} ${int(n)}`
  )
    .join(", ");
  return [
    "",
    st.b("data quality"),
    ...rowsText([
      ["late shelf events", int(q.late), "after the customer's exit: to the DLQ, not billed"],
      ["invalid records", int(q.invalid), reasons ? `to the DLQ: ${reasons}` : ""],
      ["duplicate sessions", int(q.duplicateSessions), "sent twice by the producer; ignored"],
      ["excess putbacks", int(q.excessPutbacks), "put back more than picked; clamped at 0"],
      ["unknown items", int(q.unknownItems), "not in the inventory"],
      [
        "other shelf events",
        int(Object.values(q.skippedEvents).reduce((x, y) => x + y, 0)),
        skipped ? `skipped: ${skipped}` : "",
      ],
    ], st),
  ];
}

/** The summary as text; `color` adds ANSI bold/dim (only for a terminal). */
export function formatSummary(s: DemoSummary, color = false): string {
  const st: Style = {
    b: (t) => (color ? `\x1b[1m${t}\x1b[22m` : t),
    dim: (t) => (color ? `\x1b[2m${t}\x1b[22m` : t),
  };
  return [
    ...headerText(s, st),
    ...slotsText(s, st),
    ...topItemsText(s, st),
    ...qualityText(s, st),
    "",
    st.dim(`records: ${int(s.records.foot)} foot sessions, ${int(s.records.shelf)} shelf events`),
  ].join("\n");
}
