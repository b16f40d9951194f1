/**
 * The simple commands of the sandbox shell ({@link ./shell.ts} owns `sh` and `exit`, which steer
 * the interpreter itself). Each builtin takes its arguments and the current frame and resolves
 * with an exit status, writing output only through `frame.io`; messages follow busybox/coreutils
 * wording so scripts and people see what they would in a small real container.
 */
import type { ShellFrame } from './shell.ts';

export type Builtin = (args: string[], frame: ShellFrame) => number | Promise<number>;

/** `echo [-n] ARGS…`: the arguments joined by spaces; `-n` drops the newline. */
function echo(args: string[], frame: ShellFrame): number {
  let newline = true;
  while (args[0] === '-n') {
    newline = false;
    args = args.slice(1);
  }
  frame.io.stdout(args.join(' ') + (newline ? '\n' : ''));
  return 0;
}

/**
 * `cat [-]`: copies stdin to stdout until stdin closes (the v5 close signal, or the session
 * ending). The container has no files, so any file argument is missing.
 */
async function cat(args: string[], frame: ShellFrame): Promise<number> {
  let status = 0;
  const files = args.length === 0 ? ['-'] : args;
  for (const file of files) {
    if (file !== '-') {
      frame.io.stderr(`cat: ${file}: No such file or directory\n`);
      status = 1;
      continue;
    }
    for (let chunk = await frame.io.stdin.read(); chunk !== null; chunk = await frame.io.stdin.read()) {
      frame.io.stdout(chunk);
    }
  }
  return status;
}

/** `env`: every variable as `NAME=value`, one a line, in the container's order. */
function env(args: string[], frame: ShellFrame): number {
  if (args.length > 0) {
    frame.io.stderr('env: running a command under env is not supported in the sandbox\n');
    return 125;
  }
  for (const [name, value] of frame.env) frame.io.stdout(`${name}=${value}\n`);
  return 0;
}

/** `printenv [NAME…]`: values of the named variables (exit 1 if one is unset), or all as `env`. */
function printenv(args: string[], frame: ShellFrame): number {
  if (args.length === 0) return env(args, frame);
  let status = 0;
  for (const name of args) {
    const value = frame.env.get(name);
    if (value === undefined) status = 1;
    else frame.io.stdout(`${value}\n`);
  }
  return status;
}

function hostname(_args: string[], frame: ShellFrame): number {
  frame.io.stdout(`${frame.env.get('HOSTNAME') ?? 'localhost'}\n`);
  return 0;
}

/** `sleep SECONDS`: waits, or stops early with 130 when the session is aborted. */
async function sleep(args: string[], frame: ShellFrame): Promise<number> {
  const [arg] = args;
  const seconds = arg === undefined ? Number.NaN : Number(arg.replace(/s$/, ''));
  if (!Number.isFinite(seconds) || seconds < 0) {
    frame.io.stderr(arg === undefined ? 'sleep: missing operand\n' : `sleep: invalid number '${arg}'\n`);
    return 1;
  }
  const signal = frame.io.signal;
  if (signal?.aborted) return 130;
  return new Promise<number>((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(130);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(0);
    }, seconds * 1000);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export const BUILTINS: ReadonlyMap<string, Builtin> = new Map<string, Builtin>([
  ['echo', echo],
  ['cat', cat],
  ['env', env],
  ['printenv', printenv],
  ['hostname', hostname],
  ['sleep', sleep],
  ['true', () => 0],
  [':', () => 0],
  ['false', () => 1],
]);
