/** How times, durations and sizes read on every page: one place, so pages agree. */

const dateTime = new Intl.DateTimeFormat(undefined, {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

export function formatTime(epochMs: number | undefined): string {
  return epochMs === undefined ? '—' : dateTime.format(new Date(epochMs));
}

/** ISO 8601 for `datetime` attributes and tooltips. */
export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

export function formatDuration(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  if (minutes < 60) return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
  return minutes % 60 ? `${Math.floor(minutes / 60)} h ${minutes % 60} min` : `${minutes / 60} h`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** "in 4 min" / "2 min ago", for deadlines. */
export function relativeTime(epochMs: number, now = Date.now()): string {
  const minutes = Math.round((epochMs - now) / 60_000);
  if (minutes === 0) return epochMs >= now ? 'in under a minute' : 'just now';
  const span =
    Math.abs(minutes) < 60 ? `${Math.abs(minutes)} min` : `${Math.round(Math.abs(minutes) / 60)} h`;
  return minutes > 0 ? `in ${span}` : `${span} ago`;
}

/** `verb resource/subresource namespace/name`, as a person would say it. */
export function describeTarget(parts: {
  verb: string;
  resource?: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}): string {
  const resource = [parts.resource, parts.subresource].filter(Boolean).join('/');
  const object = [parts.namespace, parts.name].filter(Boolean).join('/');
  return [parts.verb, resource, object].filter(Boolean).join(' ');
}
