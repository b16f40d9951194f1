import type { CardModel } from './card.ts';

/**
 * An answer to a person (a command's output, a refused click), as platform-neutral rich text:
 * lines of spans, each span plain, bold, code or a date. Renderers escape every span for their
 * format, so dispatch code can put a caller-controlled string in any span without thinking about
 * Slack's `<!channel>` or Teams' markdown.
 */
export type Span =
  | { text: string }
  | { bold: string }
  | { code: string }
  /** Epoch ms, shown in the reader's time zone where the platform can. */
  | { date: number }
  /** A link: `url` is built by the bot from configuration (the console's URL), never from input. */
  | { link: string; url: string };

export type Line = Span[];

export interface Reply {
  /** `ephemeral`: only the asker sees it. `shared`: everyone in the channel. */
  visibility: 'ephemeral' | 'shared';
  lines: Line[];
  /** A card to show below the lines (read-only: commands never attach buttons). */
  card?: CardModel;
}

export const plain = (text: string): Span => ({ text });
export const bold = (text: string): Span => ({ bold: text });
export const code = (text: string): Span => ({ code: text });
export const date = (ms: number): Span => ({ date: ms });
export const link = (text: string, url: string): Span => ({ link: text, url });

/** An ephemeral reply of the given lines. */
export function say(...lines: Line[]): Reply {
  return { visibility: 'ephemeral', lines };
}

/** The spans of a line as plain text (fallback text, logs, tests). */
export function lineText(line: Line): string {
  return line
    .map((span) => {
      if ('text' in span) return span.text;
      if ('bold' in span) return span.bold;
      if ('code' in span) return span.code;
      if ('link' in span) return `${span.link} (${span.url})`;
      return new Date(span.date).toISOString();
    })
    .join('');
}

/** A whole reply as plain text, one line per line. */
export function replyText(reply: Reply): string {
  return reply.lines.map(lineText).join('\n');
}
