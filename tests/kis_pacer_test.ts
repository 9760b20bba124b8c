import assert from "node:assert/strict";
import {
  FilePaceLog,
  MemoryPaceLog,
  Pacer,
  PACER_MARGIN_MS,
  type PacerClock,
  ROUND_TRIP_CREDIT,
} from "../src/kis/pacer.ts";
import { tempDir } from "./helpers.ts";

/** The most requests found in any window of `windowMs` (sorted times). */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  let start = 0;
  for (let end = 0; end < times.length; end++) {
    while (times[end] - times[start] >= windowMs) start++;
    most = Math.max(most, end - start + 1);
  }
  return most;
}

/**
 * Requests per second in the steady state: `limit` over the typical time between a send and the
 * one `limit` places later (a saturated sliding window sends in waves, one window apart).
 */
function steadyRate(times: readonly number[], limit: number): number {
  const spans = times.slice(limit).map((t, i) => t - times[i]).sort((a, b) => a - b);
  return (limit / spans[Math.floor(spans.length / 2)]) * 1000;
}

/** A simulated clock: time jumps to the earliest sleeper once everything else has settled. */
function virtualClock(): PacerClock & { run<T>(work: Promise<T>): Promise<T> } {
  let time = 0;
  const sleepers: { at: number; wake: () => void }[] = [];
  return {
    now: () => time,
    sleep: (ms) => new Promise((wake) => sleepers.push({ at: time + ms, wake })),
    async run(work) {
      let done = false;
      work.finally(() => (done = true));
      while (!done) {
        await new Promise((settled) => setTimeout(settled, 0));
        sleepers.sort((a, b) => a.at - b.at);
        const next = sleepers.shift();
        if (next) {
          time = Math.max(time, next.at);
          next.wake();
        }
      }
      return await work;
    },
  };
}

/** A request as the pacer let it happen. */
interface Sent {
  sentAt: number;
  answeredAt: number;
}

/** A pacer on `clock` with a log of its own. */
function pacerOn(limit: number, clock: PacerClock): Pacer {
  return new Pacer(limit, { clock, log: new MemoryPaceLog(() => clock.now()) });
}

/** Runs `total` requests from `callers` concurrent callers; `latency(i)` is request i's round trip. */
async function drive(
  pacer: Pacer,
  clock: PacerClock,
  callers: number,
  total: number,
  latency: (i: number) => number,
): Promise<Sent[]> {
  const sent: Sent[] = [];
  let next = 0;
  await Promise.all(Array.from({ length: callers }, async () => {
    while (next < total) {
      const i = next++;
      await pacer.run(async () => {
        const sentAt = clock.now();
        await clock.sleep(latency(i));
        sent.push({ sentAt, answeredAt: clock.now() });
      });
    }
  }));
  return sent.sort((a, b) => a.sentAt - b.sentAt);
}

/** Deterministic jittery round trips between 1 and 60 ms. */
const jitter = (i: number) => 1 + ((i * 7919) % 60);

/** A real network's round trips: 300 ms plus 0–100 ms of jitter (deterministic). */
const wan = (i: number) => 300 + ((i * 7919) % 101);

Deno.test("wherever in the round trip the server stamps, no second holds more than the limit", async () => {
  for (const latency of [jitter, wan]) {
    for (const limit of [1, 3, 20]) {
      const clock = virtualClock();
      const sent = await clock.run(
        drive(pacerOn(limit, clock), clock, 24, 10 * limit + 7, latency),
      );
      for (const share of [0, 0.25, 0.5, 1]) {
        const stamps = sent.map((r) => r.sentAt + share * (r.answeredAt - r.sentAt));
        stamps.sort((a, b) => a - b);
        assert.ok(
          busiestWindow(stamps, 1000) <= limit,
          `limit ${limit}, stamped at ${share} of a round trip of ${latency(1)}… ms`,
        );
      }
    }
  }
});

Deno.test("saturated with fast answers, the pacer keeps ≥ 95 % of the limit (virtual clock)", async () => {
  const clock = virtualClock();
  const sent = await clock.run(drive(pacerOn(20, clock), clock, 8, 600, () => 3));
  const times = sent.map((r) => r.sentAt);
  assert.equal(busiestWindow(times, 1000), 20);
  const rate = steadyRate(times, 20);
  assert.ok(rate >= 19 && rate <= 20, `steady rate ${rate.toFixed(2)}/s`);
});

Deno.test("at 300 ms round trips with 0–100 ms jitter it keeps ≥ 0.85 of the limit", async () => {
  // The old pacer waited a window after each answer: 20 / (1 + 0.35) ≈ 0.74 of the limit.
  const clock = virtualClock();
  const sent = await clock.run(drive(pacerOn(20, clock), clock, 24, 600, wan));
  const rate = steadyRate(sent.map((r) => r.sentAt), 20);
  assert.ok(rate >= 0.85 * 20, `steady rate ${rate.toFixed(2)}/s`);
  const stamps = sent.map((r) => r.answeredAt).sort((a, b) => a - b);
  assert.ok(busiestWindow(stamps, 1000) <= 20);
});

Deno.test("fractional rates spread requests over longer windows", async () => {
  const clock = virtualClock();
  const sent = await clock.run(drive(pacerOn(0.5, clock), clock, 3, 3, () => 10));
  // Each goes two seconds after the previous answer, less 90 % of the 10 ms round trip.
  const gap = 10 + 2000 + PACER_MARGIN_MS - ROUND_TRIP_CREDIT * 10;
  assert.deepEqual(sent.map((r) => r.sentAt), [0, gap, 2 * gap]);
  assert.throws(() => new Pacer(0), RangeError);
});

Deno.test("a failed request still counts as sent; the next waits its window", async () => {
  const clock = virtualClock();
  const pacer = pacerOn(2, clock);
  const outcomes = await clock.run(Promise.allSettled([
    pacer.run(() => Promise.reject(new Error("network down"))),
    pacer.run(() => Promise.resolve(clock.now())),
    pacer.run(() => Promise.resolve(clock.now())),
  ]));
  assert.equal(outcomes[0].status, "rejected");
  const times = outcomes.slice(1).map((o) => o.status === "fulfilled" ? o.value : -1);
  assert.equal(times[0], 0);
  assert.ok(times[1] >= 1000 + PACER_MARGIN_MS, `third request at ${times[1]} ms`);
});

Deno.test("pacer holds the limit and ≥ 95 % of it on the real clock", async () => {
  await using dir = await tempDir();
  const pacer = new Pacer(50, { log: new FilePaceLog(`${dir.path}/pace`, "key") });
  const realClock: PacerClock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  const sent = await drive(pacer, realClock, 10, 150, () => 1);
  for (const stamps of [sent.map((r) => r.sentAt), sent.map((r) => r.answeredAt)]) {
    stamps.sort((a, b) => a - b);
    assert.ok(busiestWindow(stamps, 1000) <= 50, `busiest second ${busiestWindow(stamps, 1000)}`);
  }
  const rate = steadyRate(sent.map((r) => r.sentAt), 50);
  assert.ok(rate >= 47.5 && rate <= 50, `steady rate ${rate.toFixed(2)}/s`);
});

Deno.test("pacers sharing a pace file hold one limit between them; other keys are apart", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/token.json.pace`;
  const realClock: PacerClock = {
    now: () => Date.now(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
  // Two "processes" (separate pacers and logs) on one key, one pacer on another key.
  const a = new Pacer(10, { log: new FilePaceLog(path, "key-a") });
  const b = new Pacer(10, { log: new FilePaceLog(path, "key-a") });
  const other = new Pacer(10, { log: new FilePaceLog(path, "key-b") });
  const [sentA, sentB, sentOther] = await Promise.all([
    drive(a, realClock, 4, 25, () => 2),
    drive(b, realClock, 4, 25, () => 2),
    drive(other, realClock, 4, 20, () => 2),
  ]);
  const keyA = [...sentA, ...sentB].map((r) => r.sentAt).sort((x, y) => x - y);
  assert.ok(busiestWindow(keyA, 1000) <= 10, `key-a busiest second ${busiestWindow(keyA, 1000)}`);
  assert.ok(keyA.at(-1)! - keyA[0] >= 4000, "50 requests at 10/s take over 4 s");
  const keyB = sentOther.map((r) => r.sentAt);
  assert.ok(keyB.at(-1)! - keyB[0] < keyA.at(-1)! - keyA[0], "another key is not slowed");
});
