/**
 * Escaping for Slack `mrkdwn`, and Block Kit's length limits.
 *
 * Slack parses `<…>` in message text as control sequences: `<!channel>`, `<!here>`, `<@U123>`,
 * `<#C123>`, `<https://evil|click me>`, `<!date^…>`. Escaping `&`, `<` and `>` as entities (what
 * Slack documents) makes all of them inert. Formatting characters (`*`, `_`, `~`, backticks) and
 * bare URLs are neutralised by putting caller-controlled values in code spans, where Slack applies
 * no formatting and links nothing; a backtick inside a value becomes `ˋ` (U+02CB) so it cannot
 * close the span, and line breaks become spaces so it cannot leave it. Text objects are sent with
 * `verbatim: true`, which turns off Slack's automatic linking of names and URLs in the rest.
 *
 * Control characters (except line breaks in multi-line text) are dropped everywhere: they render
 * as nothing useful and can confuse clients.
 */

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;

/** `&`, `<`, `>` as entities; control and bidi-override characters removed. */
export function escapeText(text: string): string {
  return text.replace(CONTROL, '').replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** A caller-controlled value as an inline code span, at most `max` characters of it shown. */
export function codeSpan(value: string, max = 300): string {
  const flat = truncate(value.replace(/[\r\n]+/g, ' '), max).replaceAll('`', 'ˋ');
  return flat === '' ? '—' : `\`${escapeText(flat)}\``;
}

/** Multi-line caller-controlled text as a code block. */
export function codeBlock(value: string, max = 1500): string {
  return `\`\`\`${escapeText(truncate(value, max).replaceAll('`', 'ˋ'))}\`\`\``;
}

/**
 * Plain text that may carry caller-controlled words (a session summary, a recorded command) made
 * inert for mrkdwn, which has no escape character: `*`, `~` and backticks become look-alikes
 * (`∗`, `∼`, `ˋ`), an `_` that could open or close italics becomes `ˍ` (one inside a word, as in
 * `ci_bot`, cannot and is kept), and line breaks become spaces, since a line is a Line, not a
 * character inside a span.
 */
export function neutralise(text: string): string {
  return text
    .replace(/[\r\n\u2028\u2029]+/g, ' ')
    .replaceAll('*', '∗')
    .replaceAll('~', '∼')
    .replaceAll('`', 'ˋ')
    .replace(/(^|[^\p{L}\p{N}])_|_(?=$|[^\p{L}\p{N}])/gu, (match) => match.replace('_', 'ˍ'));
}

/** Cuts `value` to `max` characters and says how much was left out, so truncation is visible. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const marker = ` … (${value.length - max} more characters)`;
  return value.slice(0, Math.max(0, max - marker.length)) + marker;
}

/**
 * Slack date formatting: shown in each reader's own time zone, with an ISO fallback for clients
 * that cannot format it.
 */
/**
 * A link `<url|label>`. The URL comes from configuration and ids of a fixed alphabet; `|` and `>`
 * would end it early, so they are percent-encoded anyway, and the label is escaped text.
 */
export function slackLink(url: string, label: string): string {
  const safeUrl = url.replace(/[|>]/g, (c) => encodeURIComponent(c)).replace(/</g, '%3C');
  return `<${safeUrl}|${escapeText(label.replace(/[|>]/g, ' '))}>`;
}

export function slackDate(ms: number, format = '{date_short_pretty} at {time}'): string {
  const seconds = Math.floor(ms / 1000);
  return `<!date^${seconds}^${format}|${new Date(seconds * 1000).toISOString()}>`;
}

/** Block Kit limits (https://docs.slack.dev/reference/block-kit). */
export const LIMITS = {
  blocks: 50,
  sectionText: 3000,
  field: 2000,
  fields: 10,
  header: 150,
  contextElements: 10,
  fallbackText: 3000,
} as const;

/**
 * Fits built mrkdwn into `max` characters, cutting only where no entity (`&amp;`) or control
 * sequence (`<!date^…>`) is split, and marking the cut.
 */
export function clampMrkdwn(text: string, max: number = LIMITS.sectionText): string {
  if (text.length <= max) return text;
  const marker = '\n… (truncated)';
  let cut = max - marker.length;
  const open = text.lastIndexOf('<', cut);
  if (open >= 0 && text.indexOf('>', open) >= cut) cut = open;
  const amp = text.lastIndexOf('&', cut);
  if (amp >= 0 && amp > cut - 6 && text.indexOf(';', amp) >= cut) cut = amp;
  return text.slice(0, cut) + marker;
}

/** A mrkdwn text object with automatic linking off. */
export function mrkdwn(text: string): { type: 'mrkdwn'; text: string; verbatim: true } {
  return { type: 'mrkdwn', text: clampMrkdwn(text), verbatim: true };
}

/** A plain_text object (no emoji shortcodes); for static labels only. */
export function plainText(text: string, max = 75): { type: 'plain_text'; text: string; emoji: false } {
  return { type: 'plain_text', text: truncate(text, max), emoji: false };
}
