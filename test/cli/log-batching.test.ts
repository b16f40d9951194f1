/**
 * The process logger writes its lines in batches (cli/log.ts). Batching must never keep a line
 * from operators: a lone line still reaches stdout with nothing written after it, lines still
 * waiting are written when the process exits, normally or on a fatal error, a fatal line at once,
 * and lines come out byte for byte as logged.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const LOGGER = new URL('../../cli/log.ts', import.meta.url).href;

/** Runs `body` in a child process with `logger` in scope; collects its stdout lines and stderr. */
function runWithLogger(
  body: string,
  options: { stdin?: boolean } = {},
): {
  child: ChildProcess;
  lines: () => string[];
  stderr: () => string;
  exited: Promise<number>;
} {
  const script = `import { createLogger } from ${JSON.stringify(LOGGER)};\nconst logger = createLogger();\n${body}`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number>((resolve) => child.once('close', (code) => resolve(code ?? -1)));
  const lines = () =>
    out
      .split('\n')
      .filter(Boolean)
      .map((line) => (JSON.parse(line) as { msg: string }).msg);
  return { child, lines, stderr: () => err, exited };
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

  it('text beyond ASCII comes out as the same UTF-8, across batch boundaries', async () => {
    // Batches are counted in bytes: a miscount would cut a multi-byte character or drop a line.
    const run = runWithLogger(
      `for (let i = 0; i < 2000; i++) logger.info('grüße ✓ 日本 🚀 ' + i);\nprocess.exit(0);`,
    );
    expect(await run.exited).toBe(0);
    expect(run.lines()).toEqual(Array.from({ length: 2000 }, (_, i) => `grüße ✓ 日本 🚀 ${i}`));
  });

  it('a fatal line is written at once, before anything can kill the process', async () => {
    const run = runWithLogger(`logger.fatal('last gasp');\nprocess.kill(process.pid, 'SIGKILL');`);
    await run.exited;
    expect(run.lines()).toEqual(['last gasp']);
  });

  it('a reader that goes away does not take the process down', async () => {
    // A closed pipe fails the next write with EPIPE; the logger stops writing and the process lives.
    const run = runWithLogger(
      `logger.info('first');\nlogger.flush();\nprocess.stdin.resume();\nprocess.stdin.once('end', () => {\n  for (let i = 0; i < 2000; i++) logger.info('into the void ' + i);\n  logger.flush();\n  setTimeout(() => { process.stderr.write('still alive'); process.exit(0); }, 300);\n});`,
      { stdin: true },
    );
    await until(() => run.lines().includes('first'), 'the first line');
    run.child.stdout!.destroy();
    run.child.stdin!.end();
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toContain('still alive');
  });

  it('a line longer than a batch and than a single write comes out whole, in its place', async () => {
    const run = runWithLogger(
      `logger.info('short');\nlogger.info({ big: 'x'.repeat(200_000) }, 'long');\nlogger.info('after');\nprocess.exit(0);`,
    );
    expect(await run.exited).toBe(0);
    expect(run.lines()).toEqual(['short', 'long', 'after']);
  });
});
