// Times, durations and sizes as people read them. Every function takes null for "not known".

const DASH = "–";

// 8250 → "0:08.25", 3725000 → "1:02:05.00"; `precise` false drops the hundredths.
export function formatDuration(ms, { precise = true } = {}) {
  if (ms === null || ms === undefined) return DASH;
  const totalSeconds = ms / 1000;
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  const secondsText = precise
    ? seconds.toFixed(2).padStart(5, "0")
    : String(Math.floor(seconds)).padStart(2, "0");
  return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${secondsText}` : `${minutes}:${secondsText}`;
}

// A total, for summaries: 0 → "0 s", 95000 → "1 min 35 s", 7260000 → "2 h 1 min".
export function formatTotalDuration(ms) {
  if (ms === null || ms === undefined) return DASH;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function formatBytes(bytes) {
  if (bytes === null || bytes === undefined) return DASH;
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
const STEPS = [
  [60, "second"],
  [60, "minute"],
  [24, "hour"],
  [7, "day"],
  [4.35, "week"],
  [12, "month"],
  [Number.POSITIVE_INFINITY, "year"],
];

// An ISO time as "12 Mar 2025, 14:05".
export function formatDateTime(iso) {
  return iso ? dateTime.format(new Date(iso)) : DASH;
}

// An ISO time as "3 minutes ago" / "in 2 days" (against `now`, a Date).
export function formatRelative(iso, now = new Date()) {
  if (!iso) return DASH;
  let value = (new Date(iso) - now) / 1000;
  for (const [size, unit] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return formatDateTime(iso);
}

// A <time> element showing the relative time, with the exact one as its tooltip.
export function timeElement(iso) {
  const element = document.createElement("time");
  if (!iso) {
    element.textContent = DASH;
    return element;
  }
  element.dateTime = iso;
  element.title = formatDateTime(iso);
  element.textContent = formatRelative(iso);
  return element;
}

export function plural(count, one, many = `${one}s`) {
  return `${count.toLocaleString()} ${count === 1 ? one : many}`;
}
