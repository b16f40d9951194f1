/**
 * The process logger writes its lines in batches (cli/log.ts). Batching must never keep a line
 * from operators: a lone line still reaches stdout with nothing written after it, and lines still
 * waiting are written when the process exits, normally or on a fatal error.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const LOGGER = new URL('../../cli/log.ts', import.meta.url).href;

/** Runs `body` in a child process with `logger` in scope; collects its stdout lines. */
function runWithLogger(body: string): {
  child: ChildProcess;
  lines: () => string[];
  exited: Promise<number>;
} {
  const script = `import { createLogger } from ${JSON.stringify(LOGGER)};\nconst logger = createLogger();\n${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.resume();
  const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  const lines = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
  return { child, lines, exited };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('batched log lines', () => {
  it('a lone line reaches stdout while the process keeps running and logs nothing else', async () => {
    // Far below a batch: only the periodic flush can write it. The process stays up (and is killed
    // after), so neither a full batch nor exit wrote the line.
    const run = runWithLogger(`logger.info('alone');\nsetInterval(() => {}, 1000);`);
    try {
      await until(() => run.lines().includes('alone'), 'the lone line');
      expect(run.child.exitCode).toBeNull();
    } finally {
      run.child.kill('SIGKILL');
      await run.exited;
    }
  });

  it('lines still waiting are written on process.exit', async () => {
    const run = runWithLogger(`logger.info('first');\nlogger.info('last words');\nprocess.exit(0);`);
    expect(await run.exited).toBe(0);
    expect(run.lines()).toEqual(['first', 'last words']);
  });

  it('lines still waiting are written when the process dies of an uncaught error', async () => {
    const run = runWithLogger(`logger.warn('before the crash');\nthrow new Error('boom');`);
    expect(await run.exited).not.toBe(0);
    expect(run.lines()).toEqual(['before the crash']);
  });

  it('many lines come out whole and in order, across batches', async () => {
    const run = runWithLogger(
      `for (let i = 0; i < 500; i++) logger.info({ i }, 'line ' + i);\nprocess.exit(0);`,
    );
    expect(await run.exited).toBe(0);
    expect(run.lines()).toEqual(Array.from({ length: 500 }, (_, i) => `line ${i}`));
  });

  it('a line longer than a batch and than a single write comes out whole, in its place', async () => {
    const run = runWithLogger(
      `logger.info('short');\nlogger.info({ big: 'x'.repeat(200_000) }, 'long');\nlogger.info('after');\nprocess.exit(0);`,
    );
    expect(await run.exited).toBe(0);
    expect(run.lines()).toEqual(['short', 'long', 'after']);
  });
});
