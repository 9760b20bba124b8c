import assert from "node:assert/strict";
import { Pacer, PACER_MARGIN_MS, type PacerClock, sharedPacer } from "../src/kis/pacer.ts";

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
 * Requests per second after the first window, for a multiple of `limit` requests: a saturated
 * sliding window sends them in bursts of `limit`, one window apart.
 */
function steadyRate(times: readonly number[], limit: number): number {
  return ((times.length - limit) / (times[times.length - 1] - times[0])) * 1000;
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

Deno.test("whenever the server stamps a request, no second holds more than the limit", async () => {
  for (const limit of [1, 3, 16, 20]) {
    const clock = virtualClock();
    const pacer = new Pacer(limit, clock);
    const sent = await clock.run(drive(pacer, clock, 8, 10 * limit + 7, jitter));
    for (
      const [model, stamp] of [
        ["on send", (r: Sent) => r.sentAt],
        ["on answer", (r: Sent) => r.answeredAt],
        [
          "in between",
          (r: Sent, i: number) => r.sentAt + ((i % 5) / 4) * (r.answeredAt - r.sentAt),
        ],
      ] as const
    ) {
      const stamps = sent.map(stamp).sort((a, b) => a - b);
      assert.ok(busiestWindow(stamps, 1000) <= limit, `limit ${limit}, server stamps ${model}`);
    }
  }
});

Deno.test("saturated with fast answers, the pacer keeps ≥ 95 % of the limit (virtual clock)", async () => {
  const clock = virtualClock();
  const pacer = new Pacer(20, clock);
  const sent = await clock.run(drive(pacer, clock, 8, 600, () => 3));
  const times = sent.map((r) => r.sentAt);
  assert.equal(busiestWindow(times, 1000), 20);
  const rate = steadyRate(times, 20);
  assert.ok(rate >= 19 && rate <= 20, `steady rate ${rate.toFixed(2)}/s`);
});

Deno.test("fractional rates spread requests over longer windows", async () => {
  const clock = virtualClock();
  const pacer = new Pacer(0.5, clock);
  const sent = await clock.run(drive(pacer, clock, 3, 3, () => 10));
  assert.deepEqual(sent.map((r) => r.sentAt), [
    0,
    10 + 2000 + PACER_MARGIN_MS,
    2 * (10 + 2000 + PACER_MARGIN_MS),
  ]);
  assert.throws(() => new Pacer(0), RangeError);
});

Deno.test("a failed request frees its turn like an answered one", async () => {
  const clock = virtualClock();
  const pacer = new Pacer(2, clock);
  const outcomes = await clock.run(Promise.allSettled([
    pacer.run(() => Promise.reject(new Error("network down"))),
    pacer.run(() => Promise.resolve(clock.now())),
    pacer.run(() => Promise.resolve(clock.now())),
  ]));
  assert.equal(outcomes[0].status, "rejected");
  assert.deepEqual(outcomes.slice(1).map((o) => o.status === "fulfilled" && o.value), [
    0,
    1000 + PACER_MARGIN_MS,
  ]);
});

Deno.test("pacer holds the limit and ≥ 95 % of it on the real clock", async () => {
  const pacer = new Pacer(50);
  const realClock: PacerClock = {
    now: () => performance.now(),
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

Deno.test("shared pacer: one per app key, the lowest limit wins", () => {
  const first = sharedPacer("test|key-a", 20);
  assert.equal(sharedPacer("test|key-a", 30), first);
  const tighter = sharedPacer("test|key-a", 5);
  assert.notEqual(tighter, first);
  assert.equal(tighter.ratePerSecond, 5);
  assert.equal(sharedPacer("test|key-a", 20), tighter);
  assert.notEqual(sharedPacer("test|key-b", 20), tighter);
});
