import type { Line, Span } from '../../model/reply.ts';

/**
 * How caller-controlled text reaches an Adaptive Card without being interpreted.
 *
 * Teams parses markdown (bold, links, lists) in a `TextBlock`'s text and in `Fact` values, and
 * `<at>…</at>` where a mention entity names it. A `TextRun` inside a `RichTextBlock` is never
 * parsed: the Adaptive Card schema defines it as plain text with formatting given by properties
 * (`weight`, `fontType`), not by markup. So the renderer's rule is structural: **every value that
 * did not come from this code goes into a TextRun**; TextBlocks carry only fixed labels. No
 * escaping scheme has to be right for that to hold, and the card shows the value as typed.
 *
 * On top, values are cleaned: control and bidi-override characters are dropped (they render as
 * nothing useful and can reorder what a reader sees), and inline values have line breaks turned
 * into spaces so a value cannot start a line of its own that looks like the card's.
 */

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/g;

export interface TextRun {
  type: 'TextRun';
  text: string;
  weight?: 'Bolder';
  fontType?: 'Monospace';
  color?: 'Attention' | 'Good' | 'Warning';
  isSubtle?: true;
  /** Makes the run a link (Adaptive Cards 1.5 TextRun). */
  selectAction?: { type: 'Action.OpenUrl'; url: string };
}

export interface RichTextBlock {
  type: 'RichTextBlock';
  inlines: TextRun[];
  spacing?: 'Small' | 'Medium' | 'None';
  separator?: true;
}

/** Cuts `value` to `max` characters and says how much was left out, so truncation is visible. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const marker = ` … (${value.length - max} more characters)`;
  return value.slice(0, Math.max(0, max - marker.length)) + marker;
}

/** Multi-line text with control characters dropped (line breaks kept). */
export function clean(text: string, max = 1500): string {
  return truncate(text.replace(/\r\n?/g, '\n').replace(CONTROL, ''), max);
}

/** One line's worth of a value: line breaks become spaces; empty becomes `—`. */
export function inline(value: string, max = 300): string {
  const flat = truncate(value.replace(/[\r\n]+/g, ' ').replace(CONTROL, ''), max);
  return flat === '' ? '—' : flat;
}

export const run = (text: string, style: Omit<TextRun, 'type' | 'text'> = {}): TextRun => ({
  type: 'TextRun',
  text,
  ...style,
});

/** A value shown as code: monospace, on one line. */
export const codeRun = (value: string, max = 300): TextRun =>
  run(inline(value, max), { fontType: 'Monospace' });

/** Epoch ms as `2026-12-03 15:20 UTC` (a TextRun cannot format dates in the reader's zone). */
export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export function rich(inlines: TextRun[], extra: Omit<RichTextBlock, 'type' | 'inlines'> = {}): RichTextBlock {
  return { type: 'RichTextBlock', inlines, ...extra };
}

/** A {@link Line} of reply spans as TextRuns (bold → Bolder, code → Monospace, dates in UTC). */
export function lineRuns(line: Line): TextRun[] {
  return line.map((span: Span) => {
    if ('text' in span) return run(inline(span.text, 3000));
    if ('bold' in span) return run(inline(span.bold), { weight: 'Bolder' });
    if ('code' in span) return codeRun(span.code);
    if ('link' in span)
      return run(inline(span.link), { selectAction: { type: 'Action.OpenUrl', url: span.url } });
    return run(utc(span.date));
  });
}
