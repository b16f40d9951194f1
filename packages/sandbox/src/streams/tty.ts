/**
 * A minimal terminal line discipline for `tty=true` sessions, standing in for the pty a real
 * container runtime allocates. With `kubectl exec -it` the client's terminal is in raw mode and
 * sends keystrokes one by one; without this layer nothing the user types would be echoed and
 * Enter would arrive as `\r`, so an interactive `sh` would look dead.
 *
 * What it does (canonical mode, as `stty sane`): echoes printable input; Enter (`\r` or `\n`)
 * echoes CRLF and delivers the line with `\n`; Backspace/DEL erases a character; Ctrl-U erases
 * the line; Ctrl-C echoes `^C` and interrupts; Ctrl-D on an empty line is end of input; escape
 * sequences (arrow keys) are dropped. Output gets `\n` → `\r\n` (onlcr).
 */
import { StringDecoder } from 'node:string_decoder';

export interface LineDisciplineSink {
  /** A completed line (with its `\n`, except a Ctrl-D-flushed partial line). */
  line: (text: string) => void;
  /** Bytes to show on the terminal. */
  echo: (text: string) => void;
  /** Ctrl-D on an empty line. */
  eof: () => void;
  /** Ctrl-C. */
  interrupt: () => void;
}

export class LineDiscipline {
  #sink: LineDisciplineSink;
  #decoder = new StringDecoder('utf8');
  #line: string[] = [];
  #escape: 'none' | 'esc' | 'csi' = 'none';

  constructor(sink: LineDisciplineSink) {
    this.#sink = sink;
  }

  /** Feeds raw keystrokes from the client. */
  input(bytes: Uint8Array): void {
    for (const char of this.#decoder.write(Buffer.from(bytes))) this.#key(char);
  }

  #key(char: string): void {
    const code = char.codePointAt(0) ?? 0;
    if (this.#escape === 'esc') {
      this.#escape = char === '[' || char === 'O' ? 'csi' : 'none';
      return;
    }
    if (this.#escape === 'csi') {
      if (code >= 0x40 && code <= 0x7e) this.#escape = 'none';
      return;
    }
    switch (char) {
      case '\r':
      case '\n':
        this.#sink.echo('\r\n');
        this.#sink.line(`${this.#line.join('')}\n`);
        this.#line = [];
        return;
      case '\x7f':
      case '\b':
        if (this.#line.pop() !== undefined) this.#sink.echo('\b \b');
        return;
      case '\x15':
        this.#sink.echo('\b \b'.repeat(this.#line.length));
        this.#line = [];
        return;
      case '\x03':
        this.#sink.echo('^C\r\n');
        this.#line = [];
        this.#sink.interrupt();
        return;
      case '\x04':
        if (this.#line.length === 0) {
          this.#sink.eof();
        } else {
          this.#sink.line(this.#line.join(''));
          this.#line = [];
        }
        return;
      case '\x1b':
        this.#escape = 'esc';
        return;
    }
    if (code < 0x20 && char !== '\t') return;
    this.#line.push(char);
    this.#sink.echo(char);
  }
}

/** Terminal output post-processing: a bare `\n` becomes `\r\n`. */
export function toTerminal(data: string | Uint8Array): Buffer {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  return Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
}
