import type { ChatPlatform } from './interaction.ts';

/**
 * A chat command (`/hoop pending`, a Teams bot message) as platform-neutral data: a name, the
 * positional arguments, and `--flag value` options. The platform's receiver passes the text after
 * the command word to {@link parseCommand}; the dispatch layer answers the result.
 */
export interface Command {
  /** Lower-cased first word; `help` when the text is empty. */
  name: string;
  /** Positional words after the name (quoted words keep their spaces). */
  args: string[];
  /** `--agent x` → `{ agent: 'x' }`; a flag without a value → `true`. */
  flags: Record<string, string | true>;
  /** `--share` (or a trailing `share`): answer in the channel instead of only to the asker. */
  share: boolean;
}

/**
 * How a person types `text` (e.g. `pending`) as a command on `platform`: Slack's slash command
 * `/hoop pending`, Teams' bot command `@hoop pending` (in a personal chat the mention is optional).
 * Help texts and hints use it, so each platform's users are shown their own syntax.
 */
export function commandText(platform: ChatPlatform, text: string): string {
  return platform === 'teams' ? `@hoop ${text}` : `/hoop ${text}`;
}

/** Flags that never take a value. */
const BOOLEAN_FLAGS: ReadonlySet<string> = new Set(['share', 'help']);

/** Splits on whitespace, honouring "double" and 'single' quotes. */
export function tokenize(text: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3] ?? '');
  return words;
}

export function parseCommand(text: string): Command {
  const words = tokenize(text.trim());
  const name = (words.shift() ?? 'help').toLowerCase();
  const args: string[] = [];
  const flags: Record<string, string | true> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.startsWith('--') && word.length > 2) {
      const [key, inline] = splitFlag(word.slice(2));
      if (inline !== undefined) flags[key] = inline;
      else if (!BOOLEAN_FLAGS.has(key) && i + 1 < words.length && !words[i + 1]!.startsWith('--')) {
        flags[key] = words[++i]!;
      } else flags[key] = true;
    } else args.push(word);
  }
  let share = flags['share'] === true;
  if (args.at(-1)?.toLowerCase() === 'share' && name !== 'reject') {
    args.pop();
    share = true;
  }
  delete flags['share'];
  return { name, args, flags, share };
}

function splitFlag(text: string): [string, string | undefined] {
  const eq = text.indexOf('=');
  return eq < 0 ? [text.toLowerCase(), undefined] : [text.slice(0, eq).toLowerCase(), text.slice(eq + 1)];
}

/** `15m`, `2h`, `90s`, `15` (minutes) → seconds; `undefined` when not a duration. */
export function parseWindow(text: string): number | undefined {
  const match = /^(\d{1,5})\s*(s|sec|m|min|h|hr|hours?|minutes?)?$/i.exec(text.trim());
  if (!match) return undefined;
  const value = Number(match[1]);
  const unit = (match[2] ?? 'm').toLowerCase();
  const seconds = unit.startsWith('h') ? value * 3600 : unit.startsWith('s') ? value : value * 60;
  return seconds > 0 ? seconds : undefined;
}
