import assert from "node:assert/strict";
import { SessionRules } from "../src/session.ts";
import { tempArchive } from "./helpers.ts";

const at = (kst: string) => new Date(`${kst}+09:00`);

Deno.test("trade date: an entry after a day's close applies to the next trading day, per day", async () => {
  await using archive = await tempArchive({
    sessions: new SessionRules([{ tradeDate: "2026-11-26", open: "09:00", close: "16:00" }]),
  });
  const { archivist } = archive;
  const cases: [string, string][] = [
    ["2026-11-18T15:29:59", "2026-11-18"],
    ["2026-11-18T15:30:00", "2026-11-19"],
    // CSAT day: the session runs until 16:30.
    ["2026-11-19T15:45:00", "2026-11-19"],
    ["2026-11-19T16:29:59", "2026-11-19"],
    ["2026-11-19T16:30:00", "2026-11-20"],
    // A close the user declared delayed to 16:00.
    ["2026-11-26T15:45:00", "2026-11-26"],
    ["2026-11-26T16:00:00", "2026-11-27"],
    // Friday evening and the weekend: Monday.
    ["2026-11-27T18:00:00", "2026-11-30"],
    ["2026-11-29T12:00:00", "2026-11-30"],
  ];
  for (const [instant, tradeDate] of cases) {
    assert.equal(archivist.tradeDateFor(at(instant)), tradeDate, instant);
  }
  const logged = await archivist.logDecisions([{
    stock_code: "005930",
    final_decision: "HOLD",
    decided_at: "2026-11-19T16:10:00+09:00",
  } as never]);
  const [row] = (await archivist.listDecisions({})).items.filter((r) => r.log_id === logged.ids[0]);
  assert.equal(row.trade_date, "2026-11-19", "16:10 on a CSAT day is still that day's session");
});

Deno.test("sessions: the year's first trading day opens at 10:00; CSAT days run 10:00–16:30", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  assert.deepEqual(
    [archivist.session("2026-01-02").open, archivist.session("2026-01-02").close],
    ["10:00", "15:30"],
  );
  assert.equal(archivist.session("2026-01-05").open, "09:00");
  // When KIS says 2027-01-04 is the first open day, that day opens late instead.
  await archivist.saveMarketCalendar([{ tradeDate: "2027-01-01", isOpen: false }]);
  assert.equal(archivist.session("2027-01-04").open, "10:00");
  assert.equal(archivist.session("2027-11-18").kind, "csat");
});

Deno.test("calendar: beyond the known years /health warns instead of trusting weekdays", async () => {
  await using archive = await tempArchive();
  const { archivist } = archive;
  assert.deepEqual(archivist.calendarHealth(at("2026-11-25T12:00:00")), {
    knownThrough: "2027-12-31",
  });
  const late = archivist.calendarHealth(at("2027-12-10T12:00:00"));
  assert.equal(late.knownThrough, "2027-12-31");
  assert.match(late.warning ?? "", /known only through 2027-12-31.*holidays are not known/);
  // KIS's stored calendar extends what is known.
  await archivist.saveMarketCalendar([{ tradeDate: "2028-01-31", isOpen: true }]);
  assert.equal(archivist.calendarHealth(at("2027-12-10T12:00:00")).warning, undefined);
});
