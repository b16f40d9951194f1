/**
 * The sandbox's command interpreter: what "runs" inside a sandbox container when a client execs
 * into it. Pure in the sense that matters for tests: it touches nothing but the {@link ShellIo}
 * it is given (stdin queue, stdout/stderr sinks, an abort signal) and the environment map, so
 * every behaviour is unit-testable without a socket.
 *
 * Commands: `sh`/`bash` (`-c SCRIPT [NAME ARGS…]`, or no argument: read commands from stdin, a
 * prompt when on a terminal), `exit [N]`, and the builtins of {@link ./shell-builtins.ts}
 * (`echo`, `cat`, `env`, `printenv`, `hostname`, `sleep`, `true`, `false`, `:`). `/bin/x` and
 * `/usr/bin/x` name the same command as `x`. An unknown command writes `sh: X: not found` to
 * stderr and exits 127, as a real shell does; a script the parser does not support exits 2.
 */
import type { InputQueue } from './input-queue.ts';
import { BUILTINS } from './shell-builtins.ts';
import { parseScript, type Script, ShellSyntaxError, type SimpleCommand, type Word } from './shell-parse.ts';

/** What a command can reach: its standard streams and a signal that the session has ended. */
export interface ShellIo {
  stdin: InputQueue;
  stdout: (data: string | Uint8Array) => void;
  stderr: (data: string | Uint8Array) => void;
  /** Aborted when the session ends; long-running commands (`sleep`) stop early. */
  signal?: AbortSignal;
  /** Whether stdin is a terminal: an interactive `sh` then prints a `$ ` prompt. */
  tty?: boolean;
}

/** Interpreter state for one shell level; builtins get it too. */
export interface ShellFrame {
  io: ShellIo;
  env: Map<string, string>;
  /** `$0`, `$1`, … */
  positional: string[];
  /** `$?`: status of the last command. */
  status: number;
}

/** Status a command gets when the session is aborted under it (as if by SIGINT). */
export const ABORTED_STATUS = 130;

/** Thrown by `exit`; caught by the `sh` level it ends. */
class ExitRequest {
  readonly code: number;
  constructor(code: number) {
    this.code = code;
  }
}

/**
 * Runs one exec command line (`argv` as the client sent it) and resolves with its exit status
 * (0–255). Never rejects for command failures; those become a status and stderr text.
 */
export async function runCommand(
  argv: readonly string[],
  io: ShellIo,
  env: ReadonlyMap<string, string>,
): Promise<number> {
  const frame: ShellFrame = { io, env: new Map(env), positional: ['sh'], status: 0 };
  try {
    return await runArgv([...argv], frame);
  } catch (error) {
    if (error instanceof ExitRequest) return error.code;
    throw error;
  }
}

async function runArgv(argv: string[], frame: ShellFrame): Promise<number> {
  if (frame.io.signal?.aborted) return ABORTED_STATUS;
  const [name, ...args] = argv;
  if (name === undefined) return 0;
  const command = /^\/(?:usr\/)?(?:local\/)?s?bin\/([^/]+)$/.exec(name)?.[1] ?? name;
  if (command === 'sh' || command === 'bash') return runShell(args, frame);
  if (command === 'exit') throw new ExitRequest(exitCode(args, frame));
  const builtin = BUILTINS.get(command);
  if (!builtin) {
    frame.io.stderr(`sh: ${name}: not found\n`);
    return 127;
  }
  return builtin(args, frame);
}

async function runShell(args: string[], parent: ShellFrame): Promise<number> {
  const [flag, script, ...rest] = args;
  const frame: ShellFrame = { io: parent.io, env: new Map(parent.env), positional: ['sh'], status: 0 };
  try {
    if (flag === '-c') {
      if (script === undefined) {
        parent.io.stderr('sh: -c requires an argument\n');
        return 2;
      }
      frame.positional = rest.length > 0 ? rest : ['sh'];
      return await runSource(script, frame);
    }
    if (flag !== undefined && flag !== '-s' && flag !== '-i') {
      parent.io.stderr(`sh: can't open '${flag}': No such file or directory\n`);
      return 2;
    }
    for (;;) {
      if (frame.io.tty) frame.io.stderr('$ ');
      const line = await frame.io.stdin.readLine();
      if (line === null) return frame.status;
      frame.status = await runSource(line, frame);
    }
  } catch (error) {
    if (error instanceof ExitRequest) return error.code;
    throw error;
  }
}

async function runSource(source: string, frame: ShellFrame): Promise<number> {
  let script: Script;
  try {
    script = parseScript(source);
  } catch (error) {
    if (!(error instanceof ShellSyntaxError)) throw error;
    frame.io.stderr(`sh: ${error.message}\n`);
    return 2;
  }
  for (const list of script) {
    frame.status = await runSimple(list.first, frame);
    for (const { op, command } of list.rest) {
      if ((op === '&&') === (frame.status === 0)) frame.status = await runSimple(command, frame);
    }
  }
  return frame.status;
}

async function runSimple(command: SimpleCommand, frame: ShellFrame): Promise<number> {
  const discard = (): void => {};
  let { stdout, stderr } = frame.io;
  for (const { fd, to } of command.redirects) {
    const target = to === 'null' ? discard : to === 1 ? stdout : stderr;
    if (fd === 1) stdout = target;
    else stderr = target;
  }
  const argv = command.words.map((word) => expand(word, frame)).filter((w) => w !== undefined);
  return runArgv(argv, { ...frame, io: { ...frame.io, stdout, stderr } });
}

/** Expands variables; an unquoted word that expands to nothing disappears, as in sh. */
function expand(word: Word, frame: ShellFrame): string | undefined {
  let value = '';
  for (const part of word.parts) {
    if (part.kind === 'text') value += part.value;
    else if (part.name === '?') value += String(frame.status);
    else if (/^[0-9]$/.test(part.name)) value += frame.positional[Number(part.name)] ?? '';
    else value += frame.env.get(part.name) ?? '';
  }
  return value === '' && !word.quoted && word.parts.every((p) => p.kind === 'var') ? undefined : value;
}

function exitCode(args: string[], frame: ShellFrame): number {
  const [arg] = args;
  if (arg === undefined) return frame.status;
  if (!/^[0-9]+$/.test(arg)) {
    frame.io.stderr(`sh: exit: Illegal number: ${arg}\n`);
    return 2;
  }
  return Number(arg) & 0xff;
}
