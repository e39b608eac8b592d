/** How the page writes numbers, times and values: compact, the same everywhere. */

const NUMBER = new Intl.NumberFormat('en', { maximumFractionDigits: 2 });

export function formatNumber(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : NUMBER.format(value);
}

export function formatPercent(share: number | null | undefined, digits = 1): string {
  return share === null || share === undefined ? '–' : `${(share * 100).toFixed(digits)} %`;
}

/** `2026-11-22 09:14:03` in the browser's time zone (the operator's). */
export function formatTime(value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === '') return '–';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** `3 min ago`, `2 h ago`, `in 5 min`. */
export function formatAgo(value: string | number | null | undefined, now = Date.now()): string {
  if (value === null || value === undefined) return '–';
  const ms = now - new Date(value).getTime();
  if (Number.isNaN(ms)) return String(value);
  const ahead = ms < 0;
  const seconds = Math.abs(ms) / 1000;
  const text =
    seconds < 90
      ? `${Math.round(seconds)} s`
      : seconds < 90 * 60
        ? `${Math.round(seconds / 60)} min`
        : seconds < 36 * 3600
          ? `${Math.round(seconds / 3600)} h`
          : `${Math.round(seconds / 86400)} d`;
  return ahead ? `in ${text}` : `${text} ago`;
}

/** `45 s`, `15 min`, `2 h`: a threshold or a span, in the largest unit that reads well. */
export function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${formatNumber(seconds)} s`;
  if (seconds < 7200) return `${formatNumber(Math.round(seconds / 60))} min`;
  return `${formatNumber(Math.round(seconds / 360) / 10)} h`;
}

/** A trait or condition value as a short readable string. */
export function formatValue(value: unknown, max = 80): string {
  if (value === null || value === undefined) return '(none)';
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A JSON string (a redacted request body) indented, or as it is when it is not JSON. */
export function prettyJson(text: string): string {
  if (!text) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** `datetime-local` input value -> ISO instant (the API's filter format). */
export function isoFromLocal(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
