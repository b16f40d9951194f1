/**
 * Parser for the sandbox shell's `sh -c` language: the small subset of POSIX sh that exec demos
 * and tests use, parsed into data so the runner ({@link ./shell.ts}) never looks at text.
 *
 * Supported: words with single quotes, double quotes and backslash escapes; `$NAME`, `${NAME}`,
 * `$?` and `$0`…`$9` (expanded by the runner, inside double quotes too, never inside single
 * quotes); command separators `;` and newline; `&&` and `||` (left-associative, equal
 * precedence, as in sh); `#` comments; redirections `>&2`, `1>&2`, `2>&1`, `>/dev/null`,
 * `2>/dev/null`. Anything else that sh would treat as syntax (`|`, `&`, `<`, `>file`, `(`,
 * backquotes) is a {@link ShellSyntaxError}, so an unsupported script fails loudly instead of
 * running with a different meaning.
 */

export type WordPart = { kind: 'text'; value: string } | { kind: 'var'; name: string };

/** One shell word before expansion; `quoted` if any part of it was quoted. */
export interface Word {
  parts: WordPart[];
  quoted: boolean;
}

/** `fd` (1 stdout, 2 stderr) is sent to the other fd's current target, or discarded. */
export interface Redirect {
  fd: 1 | 2;
  to: 1 | 2 | 'null';
}

export interface SimpleCommand {
  words: Word[];
  redirects: Redirect[];
}

/** `first && a || b …`: each later command runs depending on the previous status. */
export interface AndOrList {
  first: SimpleCommand;
  rest: Array<{ op: '&&' | '||'; command: SimpleCommand }>;
}

export type Script = AndOrList[];

export class ShellSyntaxError extends Error {
  override name = 'ShellSyntaxError';
}

type Token =
  | { type: 'word'; word: Word }
  | { type: 'op'; op: ';' | '&&' | '||' }
  | { type: 'redirect'; redirect: Redirect };

const METACHARS = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')', '`']);
const REDIRECT = /^([12]?)>(?:&([12])|[ \t]*\/dev\/null)(?=$|[\s;&|])/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

/** Parses a script; throws {@link ShellSyntaxError} with a sh-like message. */
export function parseScript(source: string): Script {
  const script: Script = [];
  let list: AndOrList | undefined;
  let pendingOp: '&&' | '||' | undefined;
  let command: SimpleCommand | undefined;

  const finish = (): void => {
    if (!command) return;
    if (!list) {
      list = { first: command, rest: [] };
      script.push(list);
    } else if (pendingOp) {
      list.rest.push({ op: pendingOp, command });
    }
    pendingOp = undefined;
    command = undefined;
  };

  for (const token of tokenize(source)) {
    if (token.type === 'word') {
      command ??= { words: [], redirects: [] };
      command.words.push(token.word);
    } else if (token.type === 'redirect') {
      command ??= { words: [], redirects: [] };
      command.redirects.push(token.redirect);
    } else if (token.op === ';') {
      if (pendingOp && !command)
        throw new ShellSyntaxError(`syntax error: unexpected ";" after "${pendingOp}"`);
      finish();
      list = undefined;
    } else {
      if (!command) throw new ShellSyntaxError(`syntax error: unexpected "${token.op}"`);
      finish();
      pendingOp = token.op;
    }
  }
  if (pendingOp && !command) {
    throw new ShellSyntaxError(`syntax error: end of file unexpected after "${pendingOp}"`);
  }
  finish();
  return script;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === '\n' || c === ';') {
      tokens.push({ type: 'op', op: ';' });
      i++;
    } else if (c === '#') {
      const newline = source.indexOf('\n', i);
      i = newline === -1 ? source.length : newline;
    } else if (source.startsWith('&&', i) || source.startsWith('||', i)) {
      tokens.push({ type: 'op', op: c === '&' ? '&&' : '||' });
      i += 2;
    } else {
      const redirect = REDIRECT.exec(source.slice(i));
      if (redirect) {
        const fd = redirect[1] === '2' ? 2 : 1;
        const to = redirect[2] === undefined ? 'null' : redirect[2] === '2' ? 2 : 1;
        tokens.push({ type: 'redirect', redirect: { fd, to } });
        i += redirect[0].length;
      } else if (METACHARS.has(c)) {
        throw new ShellSyntaxError(`unsupported syntax near "${source.slice(i, i + 10)}"`);
      } else {
        const [word, next] = readWord(source, i);
        tokens.push({ type: 'word', word });
        i = next;
      }
    }
  }
  return tokens;
}

function readWord(source: string, start: number): [Word, number] {
  const word: Word = { parts: [], quoted: false };
  let text = '';
  const flush = (): void => {
    if (text !== '') word.parts.push({ kind: 'text', value: text });
    text = '';
  };
  const readVar = (at: number): number => {
    const rest = source.slice(at + 1);
    let name: string | undefined;
    let length = 0;
    if (rest.startsWith('{')) {
      const close = rest.indexOf('}');
      if (close === -1) throw new ShellSyntaxError('syntax error: missing "}"');
      name = rest.slice(1, close);
      length = close + 1;
    } else if (/^[?0-9]/.test(rest)) {
      name = rest[0];
      length = 1;
    } else {
      name = NAME.exec(rest)?.[0];
      length = name?.length ?? 0;
    }
    if (!name) {
      text += '$';
      return at + 1;
    }
    flush();
    word.parts.push({ kind: 'var', name });
    return at + 1 + length;
  };

  let i = start;
  while (i < source.length && !METACHARS.has(source[i] as string)) {
    const c = source[i] as string;
    if (c === "'") {
      const close = source.indexOf("'", i + 1);
      if (close === -1) throw new ShellSyntaxError('syntax error: unterminated quoted string');
      text += source.slice(i + 1, close);
      word.quoted = true;
      i = close + 1;
    } else if (c === '"') {
      word.quoted = true;
      i++;
      for (;;) {
        if (i >= source.length) throw new ShellSyntaxError('syntax error: unterminated quoted string');
        const d = source[i] as string;
        if (d === '"') break;
        if (d === '\\' && '"\\$`\n'.includes(source[i + 1] ?? '')) {
          if (source[i + 1] !== '\n') text += source[i + 1];
          i += 2;
        } else if (d === '$') {
          i = readVar(i);
        } else {
          text += d;
          i++;
        }
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 < source.length && source[i + 1] !== '\n') text += source[i + 1];
      word.quoted ||= i + 1 < source.length;
      i += 2;
    } else if (c === '$') {
      i = readVar(i);
    } else {
      text += c;
      i++;
    }
  }
  flush();
  return [word, i];
}
