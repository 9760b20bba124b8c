// The stock page's charts, drawn with TradingView's lightweight-charts (served by the app as
// /assets/lightweight-charts.js, which defines the global LightweightCharts). Each chart element
// names the JSON API URL it reads in data-source; when done it says data-state="drawn" (or
// "empty", or "error" with the reason shown in place of the chart).
"use strict";

(() => {
  const charts = globalThis.LightweightCharts;
  /** KST is UTC+9; the library shows times as UTC, so times are moved forward 9 hours. */
  const KST_SECONDS = 9 * 3600;
  /** Korean market colours: red rises and buys, blue falls and sells. */
  const UP = "#d93a3a";
  const DOWN = "#2563d6";
  const integer = new Intl.NumberFormat("ko-KR", { maximumFractionDigits: 0 });
  const oneDecimal = new Intl.NumberFormat("ko-KR", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const MARKERS = {
    BUY: { color: UP, shape: "arrowUp", position: "belowBar", text: "BUY" },
    SELL: { color: DOWN, shape: "arrowDown", position: "aboveBar", text: "SELL" },
    HOLD: { color: "#6b7280", shape: "circle", position: "aboveBar", text: "HOLD" },
    NO_DECISION: { color: "#9aa3af", shape: "circle", position: "aboveBar", text: "–" },
    REJECT: { color: "#c2410c", shape: "square", position: "aboveBar", text: "REJ" },
  };
  /** The daily chart's markers: the same shapes without words (a year holds many). */
  const DAILY_MARKERS = Object.fromEntries(
    Object.entries(MARKERS).map(([kind, { text: _text, ...marker }]) => [kind, marker]),
  );

  function chartOptions(extra) {
    return {
      autoSize: true,
      layout: {
        // The attribution link is in the page footer; the logo would need an inline style.
        attributionLogo: false,
        background: { color: "#ffffff" },
        textColor: "#1c2128",
        fontFamily: getComputedStyle(document.body).fontFamily,
      },
      grid: { vertLines: { color: "#f0f2f5" }, horzLines: { color: "#f0f2f5" } },
      rightPriceScale: { borderColor: "#e2e5ea" },
      timeScale: { borderColor: "#e2e5ea" },
      ...extra,
    };
  }

  function show(element, state, text) {
    element.dataset.state = state;
    if (text) {
      const message = document.createElement("div");
      message.className = "chart-message";
      message.textContent = text;
      element.append(message);
    }
  }

  async function readJson(url) {
    const response = await fetch(url, {
      headers: { accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) {
      const problem = await response.json().catch(() => ({}));
      throw new Error(`${url} answered ${response.status}: ${problem.detail ?? "no detail"}`);
    }
    return await response.json();
  }

  /** The index of the value closest to `value` in ascending `values`, so a marker sits on a bar. */
  function nearestIndex(values, value) {
    let low = 0;
    let high = values.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (values[middle] < value) low = middle + 1;
      else high = middle;
    }
    const before = Math.max(0, low - 1);
    return Math.abs(value - values[before]) <= Math.abs(values[low] - value) ? before : low;
  }

  /**
   * Candles with volume bars under them, in one pane: `rows` have time, open, high, low, close,
   * volume; `volumeColour(row)` may pick a bar's colour. Returns the chart and the candle series.
   */
  function candleChart(element, rows, options) {
    const chart = charts.createChart(
      element,
      chartOptions({
        // A little room after the last bar, so the markers on it are not cut by the price scale.
        timeScale: { borderColor: "#e2e5ea", rightOffset: 3, ...options.timeScale },
        localization: { locale: "ko-KR", priceFormatter: (price) => `${integer.format(price)}원` },
      }),
    );
    const candles = chart.addSeries(charts.CandlestickSeries, {
      upColor: UP,
      downColor: DOWN,
      wickUpColor: UP,
      wickDownColor: DOWN,
      borderVisible: false,
      priceFormat: { type: "price", precision: 0, minMove: 1 },
    });
    candles.priceScale().applyOptions({
      scaleMargins: { top: options.topMargin ?? 0.08, bottom: 0.28 },
    });
    candles.setData(rows.map(({ time, open, high, low, close }) => ({
      time,
      open,
      high,
      low,
      close,
    })));
    const volume = chart.addSeries(charts.HistogramSeries, {
      priceScaleId: "volume",
      priceFormat: { type: "custom", formatter: (shares) => `${integer.format(shares)}주` },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    volume.setData(rows.map((row) => ({
      time: row.time,
      value: row.volume,
      color: options.volumeColour?.(row) ??
        (row.close >= row.open ? "rgba(217, 58, 58, 0.45)" : "rgba(37, 99, 214, 0.45)"),
    })));
    return { chart, candles };
  }

  async function minuteChart(element) {
    const { bars } = await readJson(element.dataset.source);
    if (bars.length === 0) {
      show(element, "empty", "No minute bars are stored for this day.");
      return;
    }
    const rows = bars.map((bar) => ({ ...bar, time: bar.bar_time + KST_SECONDS }));
    const times = rows.map((row) => row.time);
    const { chart, candles } = candleChart(element, rows, {
      timeScale: { timeVisible: true, secondsVisible: false },
    });
    const markers = JSON.parse(element.dataset.markers ?? "[]");
    charts.createSeriesMarkers(
      candles,
      markers.map((marker) => ({
        ...MARKERS[marker.kind],
        time: times[nearestIndex(times, marker.time + KST_SECONDS)],
      })).sort((a, b) => a.time - b.time),
    );
    chart.timeScale().fitContent();
    element.dataset.markersDrawn = String(markers.length);
    show(element, "drawn");
  }

  /** Every item of a JSON API listing, following `next_cursor` (at most `MAX_PAGES` pages). */
  async function readAll(url) {
    const MAX_PAGES = 50;
    const items = [];
    let next = url;
    for (let page = 0; next !== null && page < MAX_PAGES; page++) {
      const body = await readJson(next);
      items.push(...body.items);
      if (body.next_cursor === null) break;
      const following = new URL(url, location.href);
      following.searchParams.set("cursor", body.next_cursor);
      next = following.pathname + following.search;
    }
    return items;
  }

  /** A chart time (a `YYYY-MM-DD` string or a business-day object) as `YYYY-MM-DD`. */
  function dayOf(time) {
    if (typeof time === "string") return time;
    const pad = (n) => String(n).padStart(2, "0");
    return `${time.year}-${pad(time.month)}-${pad(time.day)}`;
  }

  const pct = new Intl.NumberFormat("ko-KR", {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
    signDisplay: "exceptZero",
  });
  const signedPct = (value) => value === null ? "–" : `${pct.format(value)}%`;

  /** What the daily chart's legend says of one entry. */
  function entryText(entry) {
    const score = (value) => value === null ? "–" : oneDecimal.format(value);
    if (entry.kind === "REJECT") {
      const item = entry.item;
      return `rejected${item.rejection_stage ? ` by ${item.rejection_stage}` : ""} (score ${
        score(item.hunter_score_at_time)
      }; 5d max high ${signedPct(item.max_high_5d_pct)}${item.regret ? ", regret" : ""})`;
    }
    const item = entry.item;
    return `${item.final_decision} (score ${score(item.hunter_score)}; 5d ${
      signedPct(item.ret_5d_pct)
    })`;
  }

  async function dailyChart(element) {
    const [{ candles: rows }, decisions, rejections] = await Promise.all([
      readJson(element.dataset.source),
      readAll(element.dataset.decisions),
      readAll(element.dataset.rejections),
    ]);
    const summary = document.getElementById("daily-markers");
    if (rows.length === 0) {
      if (summary) summary.textContent = "No markers: no daily candle is stored for these days.";
      show(element, "empty", "No daily candles are stored for these days.");
      return;
    }
    const chosen = element.dataset.day;
    const { chart, candles } = candleChart(
      element,
      rows.map((row) => ({ ...row, time: row.trade_date })),
      {
        volumeColour: (row) => row.time === chosen ? "#151b26" : undefined,
        // Room for the markers a busy day stacks above its candle.
        topMargin: 0.16,
      },
    );
    // Days as numbers, to find the candle nearest an entry's trade day.
    const dayNumbers = rows.map((row) => Date.parse(row.trade_date) / 86_400_000);
    const entries = [
      ...decisions.map((item) => ({ kind: item.final_decision, item })),
      ...rejections.map((item) => ({ kind: "REJECT", item })),
    ].map((entry) => ({
      ...entry,
      day: rows[nearestIndex(dayNumbers, Date.parse(entry.item.trade_date) / 86_400_000)]
        .trade_date,
    }));
    charts.createSeriesMarkers(
      candles,
      entries.map((entry) => ({ ...DAILY_MARKERS[entry.kind], time: entry.day }))
        .sort((a, b) => a.time.localeCompare(b.time)),
    );
    const byDay = new Map();
    for (const entry of entries) byDay.set(entry.day, [...byDay.get(entry.day) ?? [], entry]);
    const rowOf = new Map(rows.map((row) => [row.trade_date, row]));
    const legend = document.getElementById("daily-legend");
    const defaultLegend = legend?.textContent;
    chart.subscribeCrosshairMove((param) => {
      if (!legend) return;
      const row = param.time === undefined ? undefined : rowOf.get(dayOf(param.time));
      if (!row) {
        legend.textContent = defaultLegend;
        return;
      }
      const said = (byDay.get(row.trade_date) ?? []).map(entryText);
      legend.textContent = `${row.trade_date} · open ${integer.format(row.open)} · high ${
        integer.format(row.high)
      } · low ${integer.format(row.low)} · close ${integer.format(row.close)}원 · ${
        integer.format(row.volume)
      }주${said.length > 0 ? ` · ${said.join(" · ")}` : ""}`;
    });
    chart.subscribeClick((param) => {
      if (param.time !== undefined) location.assign(element.dataset.dayLink + dayOf(param.time));
    });
    chart.timeScale().fitContent();
    const count = (kind) => entries.filter((entry) => entry.kind === kind).length;
    if (summary) {
      summary.dataset.count = String(entries.length);
      summary.textContent = `Markers: ${integer.format(entries.length)} — ▲ ${
        count("BUY")
      } BUY · ▼ ${count("SELL")} SELL · ● ${
        count("HOLD") + count("NO_DECISION")
      } HOLD or no decision · ■ ${count("REJECT")} rejections`;
    }
    element.dataset.markersDrawn = String(entries.length);
    show(element, "drawn");
  }

  const FLOW_SERIES = [
    ["foreign_net_buy_value", "Foreign"],
    ["institution_net_buy_value", "Institution"],
    ["individual_net_buy_value", "Individual"],
    ["program_net_buy_value", "Program"],
  ];

  async function flowChart(element) {
    const { rows } = await readJson(element.dataset.source);
    const series = FLOW_SERIES.filter(([field]) => rows.some((row) => row[field] !== null));
    if (series.length === 0) {
      show(element, "empty", "No flows are stored for these days.");
      return;
    }
    const chart = charts.createChart(
      element,
      chartOptions({
        localization: { locale: "ko-KR", priceFormatter: (v) => `${oneDecimal.format(v)}억` },
      }),
    );
    series.forEach(([field, title], pane) => {
      const bars = chart.addSeries(charts.HistogramSeries, {
        title,
        priceFormat: {
          type: "custom",
          minMove: 0.1,
          formatter: (v) => `${oneDecimal.format(v)}억`,
        },
        lastValueVisible: false,
        priceLineVisible: false,
      }, pane);
      bars.setData(
        rows.filter((row) => row[field] !== null).map((row) => ({
          time: row.trade_date,
          // KRW to 억원 (10^8 KRW), the unit Korean screens use for flows.
          value: row[field] / 1e8,
          color: row[field] >= 0 ? UP : DOWN,
        })),
      );
    });
    for (const pane of chart.panes()) pane.setStretchFactor(1);
    chart.timeScale().fitContent();
    element.dataset.panes = String(series.length);
    show(element, "drawn");
  }

  /** Seconds of a day: the bars chart puts category i on day i + 1 of the time scale. */
  const DAY_SECONDS = 86_400;

  /**
   * A report's figures as bars, one category per row: `data-source` is the report's JSON URL,
   * `data-bars` says which rows (`rows`), how to label them (`label`: fields joined) and one pane
   * per figure (`field`, `title`, `scale` to multiply by, `unit`, `decimals`, `colour`: a colour
   * or `sign` for red above 0 and blue below). A null figure leaves its category empty.
   */
  async function barsChart(element) {
    const report = await readJson(element.dataset.source);
    const spec = JSON.parse(element.dataset.bars);
    const rows = report[spec.rows];
    const known = (pane) => rows.filter((row) => row[pane.field] !== null);
    if (rows.length === 0 || spec.panes.every((pane) => known(pane).length === 0)) {
      show(element, "empty", "No entry in this range has these figures yet.");
      return;
    }
    const labels = rows.map((row) => spec.label.map((field) => row[field] ?? "(none)").join(" "));
    const labelOf = (time) => labels[Math.round(time / DAY_SECONDS) - 1] ?? "";
    const chart = charts.createChart(
      element,
      chartOptions({
        timeScale: {
          borderColor: "#e2e5ea",
          tickMarkFormatter: labelOf,
          fixLeftEdge: true,
          fixRightEdge: true,
        },
        localization: { locale: "ko-KR", timeFormatter: labelOf },
        handleScroll: false,
        handleScale: false,
      }),
    );
    spec.panes.forEach((pane, index) => {
      const decimals = new Intl.NumberFormat("ko-KR", {
        minimumFractionDigits: pane.decimals ?? 1,
        maximumFractionDigits: pane.decimals ?? 1,
      });
      const format = (value) => `${decimals.format(value)}${pane.unit}`;
      const bars = chart.addSeries(charts.HistogramSeries, {
        priceFormat: { type: "custom", minMove: 0.1, formatter: format },
        lastValueVisible: false,
        priceLineVisible: false,
        base: 0,
      }, index);
      // An unknown figure is an invisible bar at 0: a gap would drop the category off the edge.
      const points = rows.map((row, i) => {
        const time = (i + 1) * DAY_SECONDS;
        if (row[pane.field] === null) return { time, value: 0, color: "rgba(0, 0, 0, 0)" };
        const value = row[pane.field] * (pane.scale ?? 1);
        const color = pane.colour === "sign" ? (value >= 0 ? UP : DOWN) : pane.colour;
        return { time, value, color, known: true };
      });
      bars.setData(points.map(({ known: _known, ...point }) => point));
      // Room above and below for the figures written on the bars (markers that would otherwise
      // widen the scale by their size in pixels, flattening small bars).
      bars.priceScale().applyOptions({ scaleMargins: { top: 0.22, bottom: 0.18 } });
      // Each bar's figure written above it, so the chart reads without pointing.
      charts.createSeriesMarkers(
        bars,
        points.filter((point) => point.known).map((point) => ({
          time: point.time,
          position: point.value >= 0 ? "aboveBar" : "belowBar",
          shape: "circle",
          size: 0,
          color: "#1c2128",
          text: format(point.value),
        })),
        { autoScale: false },
      );
      charts.createTextWatermark(chart.panes()[index], {
        horzAlign: "left",
        vertAlign: "top",
        lines: [{ text: pane.title, color: "#667080", fontSize: 12 }],
      });
    });
    for (const pane of chart.panes()) pane.setStretchFactor(1);
    chart.timeScale().fitContent();
    element.dataset.categories = String(rows.length);
    show(element, "drawn");
  }

  const DRAW = { daily: dailyChart, minute: minuteChart, flows: flowChart, bars: barsChart };

  for (const element of document.querySelectorAll("[data-chart]")) {
    DRAW[element.dataset.chart](element).catch((error) => {
      show(element, "error", `The chart could not be drawn: ${error.message}`);
      console.error(error);
    });
  }
})();
