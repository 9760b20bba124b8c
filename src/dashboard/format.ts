/**
 * How the dashboard writes numbers and times: thousands separators, the unit after every amount
 * (원 for KRW, 주 for shares, 억원 for large flows), and every instant in KST.
 *
 * @module
 */
import { kstIso, weekday } from "../time.ts";

const integer = new Intl.NumberFormat("ko-KR", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("ko-KR", {
  minimumFractionDigits: 1,
  maximumFractionDigits: 1,
});

/** What is shown where a value is absent. */
export const NONE = "–";

/** A whole number with thousands separators, e.g. `1,234,567`. */
export function formatInt(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : integer.format(value);
}

/** KRW with separators and unit, e.g. `71,500원`. */
export function formatKrw(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : `${integer.format(value)}원`;
}

/** Shares with separators and unit, e.g. `12,345주`. */
export function formatShares(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : `${integer.format(value)}주`;
}

/** A signed quantity of shares, e.g. `+12,345주` or `−3,000주`. */
export function formatSignedShares(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : `${sign(value)}${formatShares(value)}`;
}

function sign(value: number): string {
  return value > 0 ? "+" : "";
}

/**
 * A signed KRW amount the way Korean market screens write it: `억원` (10⁸ KRW) from 1억, `만원`
 * (10⁴) from 1만, plain `원` below, e.g. `+12.3억원`.
 */
export function formatKrwCompact(value: number | null | undefined): string {
  if (value === null || value === undefined) return NONE;
  const magnitude = Math.abs(value);
  if (magnitude >= 1e8) return `${sign(value)}${oneDecimal.format(value / 1e8)}억원`;
  if (magnitude >= 1e4) return `${sign(value)}${integer.format(value / 1e4)}만원`;
  return `${sign(value)}${integer.format(value)}원`;
}

/** A score with one decimal, e.g. `72.5`. */
export function formatScore(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : oneDecimal.format(value);
}

const signedPercent = new Intl.NumberFormat("ko-KR", {
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
  signDisplay: "exceptZero",
});

/**
 * A percentage that has a direction (a return, an edge), signed, two decimals, e.g. `+2.31%`,
 * `-0.87%`, `0.00%`.
 */
export function formatSignedPct(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : `${signedPercent.format(value)}%`;
}

/** A fraction 0–1 (a rate) as a percentage with one decimal, e.g. `0.4286` → `42.9%`. */
export function formatRate(value: number | null | undefined): string {
  return value === null || value === undefined ? NONE : `${oneDecimal.format(value * 100)}%`;
}

/** The CSS class of a signed amount: `up` above 0 (red), `down` below (blue), none at 0. */
export function signClass(value: number | null | undefined): "up" | "down" | undefined {
  return value === null || value === undefined || value === 0
    ? undefined
    : value > 0
    ? "up"
    : "down";
}

/** Bytes in B, KB, MB or GB (1024-based), e.g. `12.3 MB`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return NONE;
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${oneDecimal.format(value)} ${units[unit]}`;
}

/** An instant (UTC ISO or Date) as KST `YYYY-MM-DD HH:MM:SS`. */
export function formatKstDateTime(instant: string | Date | number): string {
  return kstIso(new Date(instant)).slice(0, 19).replace("T", " ");
}

/** An instant as KST `HH:MM`. */
export function formatKstMinute(instant: string | Date | number): string {
  return kstIso(new Date(instant)).slice(11, 16);
}

/** A duration between two UTC ISO instants, e.g. `2 min 05 s`; `running` without an end. */
export function formatDuration(startedAt: string, finishedAt: string | null): string {
  if (finishedAt === null) return "running";
  const seconds = Math.max(0, Math.round((Date.parse(finishedAt) - Date.parse(startedAt)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

const WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** A KST ISO instant (`2026-11-27T16:00:00+09:00`) as `2026-11-27 (Fri) 16:00`. */
export function formatKstSchedule(kstIsoInstant: string): string {
  const date = kstIsoInstant.slice(0, 10);
  return `${date} (${WEEKDAYS[weekday(date)]}) ${kstIsoInstant.slice(11, 16)}`;
}

/** `text` cut to `max` characters with an ellipsis. */
export function truncate(text: string | null | undefined, max: number): string {
  if (text === null || text === undefined) return NONE;
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
