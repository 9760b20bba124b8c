import assert from "node:assert/strict";
import {
  countEntries,
  ORIGINAL_DECISION,
  ORIGINAL_REJECTION,
  startTestApi,
} from "./fixtures/http_harness.ts";

const SEED = 0x5eed_2026;
const REQUESTS = 1200;

/** mulberry32: a small seeded PRNG, so a failing case can be replayed. */
function prng(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)];
  return { next, int, pick };
}

type Rng = ReturnType<typeof prng>;
type Json = Record<string, unknown>;

interface BadRequest {
  readonly what: string;
  readonly method: string;
  readonly path: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

const TEXT_FIELDS: Record<string, number> = {
  stock_name: 200,
  market_regime: 100,
  gate_result: 50,
  run_id: 200,
  idempotency_key: 200,
  trigger_type: 100,
};
const SCORE_FIELDS = ["hunter_score", "cost_estimate", "hunter_score_at_time", "trigger_value"];
const NOT_TEXT = [5, true, [], {}, ["a"], { a: 1 }];
const NOT_NUMBER = ["72.5", true, [], {}, "NaN", [1]];

function deep(depth: number): unknown {
  let value: unknown = "x";
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** One invalid change to a valid entry of `kind`. */
function mutate(rng: Rng, kind: "decision" | "rejection", entry: Json): [string, Json] {
  const e: Json = { ...entry };
  const fields = Object.keys(e).filter((k) => k in TEXT_FIELDS);
  const scores = Object.keys(e).filter((k) => SCORE_FIELDS.includes(k));
  switch (rng.int(kind === "decision" ? 12 : 9)) {
    case 0:
      delete e.stock_code;
      return ["missing stock_code", e];
    case 1:
      e.stock_code = rng.pick(["5930", "삼성전자", "00593o", 5930, null, "0059300A", "005930 "]);
      return ["bad stock_code", e];
    case 2:
      e[rng.pick(fields)] = rng.pick(NOT_TEXT);
      return ["text of wrong type", e];
    case 3:
      e[rng.pick(scores)] = rng.pick(NOT_NUMBER);
      return ["score of wrong type", e];
    case 4: {
      const field = rng.pick(fields);
      e[field] = "가".repeat(TEXT_FIELDS[field] + 1 + rng.int(5000));
      return [`${field} too long`, e];
    }
    case 5: {
      const key = rng.pick([
        "extra",
        "STOCK_CODE",
        "__proto__",
        "constructor",
        "log_id",
        "trade_date",
      ]);
      // defineProperty makes "__proto__" an own key, as JSON.parse does on the server.
      Object.defineProperty(e, key, {
        value: 1,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      return ["extra field", e];
    }
    case 6:
      e[rng.pick(Object.keys(e))] = deep(2 + rng.int(3000));
      return ["deep nesting", e];
    case 7:
      e[kind === "decision" ? "decided_at" : "logged_at"] = rng.pick([
        "2026-11-26",
        "yesterday",
        "2026-11-26T10:00:00",
        "2026-13-01T00:00:00Z",
        5,
        "",
      ]);
      return ["bad instant", e];
    case 8:
      if (kind === "rejection") {
        e.rejection_stage = rng.pick(["judge", "SCOUT", "", 1, ["JUDGE"]]);
        return ["bad rejection_stage", e];
      }
      e.final_decision = rng.pick(["buy", "STRONG_BUY", "", null, 1, ["BUY"]]);
      return ["bad final_decision", e];
    case 9:
      delete e.final_decision;
      return ["missing final_decision", e];
    case 10:
      e.thinking_called = rng.pick([2, -1, "true", "yes", [], {}, 0.5]);
      return ["bad thinking_called", e];
    default:
      e.dominant_keywords = rng.pick([
        "반도체",
        5,
        [1, 2],
        { a: "b" },
        [null],
        Array(201).fill("k"),
        ["k".repeat(201)],
      ]);
      return ["bad dominant_keywords", e];
  }
}

function badWrite(rng: Rng): BadRequest {
  const kind = rng.pick(["decision", "rejection"] as const);
  const path = kind === "decision" ? "/v1/decisions" : "/v1/shadow-radar";
  const valid: Json = kind === "decision" ? ORIGINAL_DECISION : ORIGINAL_REJECTION;
  const json = { "content-type": "application/json" };
  const key = { ...json, "idempotency-key": `fuzz-${rng.int(20)}` };
  switch (rng.int(10)) {
    case 0: {
      const text = JSON.stringify(valid);
      const cut = text.slice(0, rng.int(text.length - 1));
      const broken = rng.pick([cut, `${text}}`, text.replace(":", ""), "{'a': 1}", "", "\u00ff"]);
      return { what: "broken JSON", method: "POST", path, headers: json, body: broken };
    }
    case 1:
      return {
        what: "wrong content type",
        method: "POST",
        path,
        headers: {
          "content-type": rng.pick([
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data",
            "application/xml",
            "",
          ]),
        },
        body: JSON.stringify(valid),
      };
    case 2:
      return {
        what: "not an entry",
        method: "POST",
        path,
        headers: json,
        body: JSON.stringify(
          rng.pick([null, 5, "x", true, [], [[]], [null], { entries: [valid] }]),
        ),
      };
    case 3: {
      const entries = Array.from({ length: 2 + rng.int(5) }, () => valid);
      entries[rng.int(entries.length)] = mutate(rng, kind, valid)[1];
      return {
        what: "one bad entry in an array",
        method: "POST",
        path,
        headers: key,
        body: JSON.stringify(entries),
      };
    }
    case 4:
      return {
        what: "too many entries",
        method: "POST",
        path,
        headers: json,
        body: JSON.stringify(Array(1001).fill({ stock_code: "005930", final_decision: "BUY" })),
      };
    case 5:
      return {
        what: "body over 1 MiB",
        method: "POST",
        path,
        headers: json,
        body: JSON.stringify({ ...valid, stock_name: "x".repeat(1024 * 1024) }),
      };
    case 6:
      return {
        what: "bad Idempotency-Key",
        method: "POST",
        path,
        headers: { ...json, "idempotency-key": rng.pick(["a b", "x".repeat(201), "clé"]) },
        body: JSON.stringify(valid),
      };
    default: {
      const [what, entry] = mutate(rng, kind, valid);
      return {
        what,
        method: "POST",
        path,
        headers: rng.next() < 0.5 ? key : json,
        body: JSON.stringify(entry),
      };
    }
  }
}

function badRead(rng: Rng): BadRequest {
  const listing = rng.pick(["/v1/decisions", "/v1/shadow-radar"]);
  const query = rng.pick([
    "limit=0",
    "limit=1001",
    "limit=-5",
    "limit=abc",
    "limit=1.5",
    "limit=1&limit=2",
    "from=yesterday",
    "to=2026-02-30",
    "from=1732579200",
    "trade_date=20261126",
    "stock_code=%27%3B%20DROP%20TABLE",
    "cursor=%00%00",
    "cursor=bG9nOi0x",
    "cursor=" + "A".repeat(300),
    "final_decision=buy",
    "rejection_stage=judge",
    "unknown=1",
  ]);
  const other = rng.pick(
    [
      ["GET", `${listing}?${query}`],
      ["GET", `/v1/minute-bars/005930?date=${rng.pick(["", "2026-11-31", "today", "2026-1-5"])}`],
      ["GET", `/v1/minute-bars/${rng.pick(["5930", "%27--", "abcdef"])}?date=2026-11-26`],
      [
        "GET",
        `/v1/market-flow/005930?${
          rng.pick([
            "from=x",
            "to=2026-00-01",
            "from=2026-12-01&to=2026-11-01",
            "from=2000-01-01&to=2026-01-01",
          ])
        }`,
      ],
      ["GET", `/v1/runs?${rng.pick(["job=weekly", "limit=0", "limit=9999", "trade_date=x"])}`],
      ["GET", `/v1/watchlist?include_inactive=${rng.pick(["yes", "1", ""])}`],
      [rng.pick(["DELETE", "PATCH", "PUT"]), listing],
      [rng.pick(["POST", "DELETE"]), "/health"],
      [
        "GET",
        rng.pick([
          "/v1",
          "/v1/decisions/1",
          "/v2/decisions",
          "/v1/decisions/",
          "/%2e%2e/etc/passwd",
        ]),
      ],
    ] as const,
  );
  return { what: `bad read ${other[1]}`, method: other[0], path: other[1] };
}

function badWatchlist(rng: Rng): BadRequest {
  const body = rng.pick([
    JSON.stringify({ stock_code: "005930" }),
    JSON.stringify([{ stock_code: "5930" }]),
    JSON.stringify([{ stock_code: "005930", stock_name: 5 }]),
    JSON.stringify([{ stock_code: "005930", extra: true }]),
    JSON.stringify([{ stock_code: "005930", stock_name: "x".repeat(201) }]),
    JSON.stringify([null]),
    "[{",
  ]);
  return {
    what: "bad watchlist",
    method: "PUT",
    path: "/v1/watchlist",
    headers: { "content-type": rng.next() < 0.9 ? "application/json" : "text/csv" },
    body,
  };
}

Deno.test(`${REQUESTS} generated bad requests all answer 4xx and write nothing`, async () => {
  await using api = await startTestApi();
  // A stored watchlist and entries that a bad request must not change.
  await api.archivist.replaceWatchlist([{ stock_code: "005930", stock_name: "삼성전자" }]);
  assert.equal((await api.post("/v1/decisions", ORIGINAL_DECISION)).status, 201);
  const before = await countEntries(api.archivist);

  const rng = prng(SEED);
  const requests = Array.from({ length: REQUESTS }, () => {
    const roll = rng.next();
    return roll < 0.6 ? badWrite(rng) : roll < 0.9 ? badRead(rng) : badWatchlist(rng);
  });
  const outcomes: string[] = [];
  const statuses = new Map<number, number>();
  for (let i = 0; i < requests.length; i += 16) {
    await Promise.all(
      requests.slice(i, i + 16).map(async (request, offset) => {
        const response = await api.request(request.path, {
          method: request.method,
          headers: request.headers,
          body: request.body,
        });
        const text = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        const isProblem = response.headers.get("content-type") === "application/problem+json";
        if (response.status < 400 || response.status >= 500 || !isProblem) {
          outcomes.push(`#${i + offset} ${request.what}: ${response.status} ${text.slice(0, 300)}`);
        }
      }),
    );
  }
  assert.deepStrictEqual(outcomes, [], `seed ${SEED}`);
  assert.ok(statuses.size >= 5, `expected a spread of statuses, got ${[...statuses.keys()]}`);

  assert.deepStrictEqual(await countEntries(api.archivist), before);
  const watchlist = await api.archivist.watchlist({ includeInactive: true });
  assert.deepStrictEqual(watchlist.map((w) => [w.stock_code, w.stock_name, w.is_active]), [
    ["005930", "삼성전자", 1],
  ]);
  // No idempotency key used by a refused request was stored.
  for (let key = 0; key < 20; key++) {
    const response = await api.post("/v1/shadow-radar", ORIGINAL_REJECTION, {
      "idempotency-key": `fuzz-${key}`,
    });
    assert.equal(response.status, 201);
    assert.equal(response.headers.get("idempotent-replayed"), null, `fuzz-${key}`);
    await response.body?.cancel();
  }
});
