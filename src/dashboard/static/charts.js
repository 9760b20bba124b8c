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

  /** The bar time closest to `time` (bars ascending), so a marker sits on a drawn candle. */
  function nearestBar(times, time) {
    let low = 0;
    let high = times.length - 1;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (times[middle] < time) low = middle + 1;
      else high = middle;
    }
    const after = times[low];
    const before = times[Math.max(0, low - 1)];
    return Math.abs(time - before) <= Math.abs(after - time) ? before : after;
  }

  async function minuteChart(element) {
    const { bars } = await readJson(element.dataset.source);
    if (bars.length === 0) {
      show(element, "empty", "No minute bars are stored for this day.");
      return;
    }
    const chart = charts.createChart(
      element,
      chartOptions({
        timeScale: { borderColor: "#e2e5ea", timeVisible: true, secondsVisible: false },
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
    candles.priceScale().applyOptions({ scaleMargins: { top: 0.08, bottom: 0.28 } });
    const times = bars.map((bar) => bar.bar_time + KST_SECONDS);
    candles.setData(bars.map((bar, i) => ({
      time: times[i],
      open: bar.open,
      high: bar.high,
      low: bar.low,
      close: bar.close,
    })));
    const volume = chart.addSeries(charts.HistogramSeries, {
      priceScaleId: "volume",
      priceFormat: { type: "custom", formatter: (shares) => `${integer.format(shares)}주` },
      lastValueVisible: false,
      priceLineVisible: false,
    });
    chart.priceScale("volume").applyOptions({ scaleMargins: { top: 0.78, bottom: 0 } });
    volume.setData(bars.map((bar, i) => ({
      time: times[i],
      value: bar.volume,
      color: bar.close >= bar.open ? "rgba(217, 58, 58, 0.45)" : "rgba(37, 99, 214, 0.45)",
    })));
    const markers = JSON.parse(element.dataset.markers ?? "[]");
    charts.createSeriesMarkers(
      candles,
      markers.map((marker) => ({
        ...MARKERS[marker.kind],
        time: nearestBar(times, marker.time + KST_SECONDS),
      })).sort((a, b) => a.time - b.time),
    );
    chart.timeScale().fitContent();
    element.dataset.markersDrawn = String(markers.length);
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

  const DRAW = { minute: minuteChart, flows: flowChart };

  for (const element of document.querySelectorAll("[data-chart]")) {
    DRAW[element.dataset.chart](element).catch((error) => {
      show(element, "error", `The chart could not be drawn: ${error.message}`);
      console.error(error);
    });
  }
})();
