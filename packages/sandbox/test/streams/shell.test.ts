import { describe, expect, it } from 'vitest';
import { InputQueue } from '../../src/streams/input-queue.ts';
import { runCommand } from '../../src/streams/shell.ts';

const ENV = new Map([
  ['HOSTNAME', 'web-0'],
  ['GREETING', 'hello world'],
  ['EMPTY', ''],
]);

interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

async function run(argv: string[], stdin?: string, options: { tty?: boolean } = {}): Promise<Run> {
  const queue = new InputQueue();
  if (stdin !== undefined) {
    queue.push(Buffer.from(stdin));
    queue.end();
  }
  let stdout = '';
  let stderr = '';
  const status = await runCommand(
    argv,
    {
      stdin: queue,
      stdout: (d) => {
        stdout += Buffer.from(d).toString();
      },
      stderr: (d) => {
        stderr += Buffer.from(d).toString();
      },
      tty: options.tty ?? false,
    },
    ENV,
  );
  return { status, stdout, stderr };
}

const sh = (script: string): string[] => ['sh', '-c', script];

describe('runCommand', () => {
  const cases: Array<[string, string[], string | undefined, Partial<Run>]> = [
    ['echo joins arguments', ['echo', 'a', 'b c'], undefined, { status: 0, stdout: 'a b c\n', stderr: '' }],
    ['echo -n has no newline', ['echo', '-n', 'x'], undefined, { stdout: 'x' }],
    ['absolute path names the builtin', ['/bin/echo', 'hi'], undefined, { stdout: 'hi\n' }],
    ['cat copies stdin until it closes', ['cat'], 'one\ntwo\n', { status: 0, stdout: 'one\ntwo\n' }],
    [
      'cat with a file fails',
      ['cat', '/etc/passwd'],
      '',
      { status: 1, stderr: expect.stringContaining('No such file') },
    ],
    [
      'env lists the container env',
      ['env'],
      undefined,
      { stdout: 'HOSTNAME=web-0\nGREETING=hello world\nEMPTY=\n' },
    ],
    ['printenv one variable', ['printenv', 'GREETING'], undefined, { stdout: 'hello world\n' }],
    ['printenv missing variable', ['printenv', 'NOPE'], undefined, { status: 1, stdout: '' }],
    ['hostname', ['hostname'], undefined, { stdout: 'web-0\n' }],
    ['true', ['true'], undefined, { status: 0 }],
    ['false', ['false'], undefined, { status: 1 }],
    ['unknown command', ['nosuch', 'x'], undefined, { status: 127, stderr: 'sh: nosuch: not found\n' }],
    ['sh -c exit N', sh('exit 3'), undefined, { status: 3, stdout: '' }],
    ['exit stops the script', sh('echo a; exit 4; echo b'), undefined, { status: 4, stdout: 'a\n' }],
    ['exit without N keeps $?', sh('false; exit'), undefined, { status: 1 }],
    [
      'exit with a bad number',
      sh('exit x'),
      undefined,
      { status: 2, stderr: 'sh: exit: Illegal number: x\n' },
    ],
    ['; runs both', sh('echo a; echo b'), undefined, { stdout: 'a\nb\n' }],
    ['newline separates', sh('echo a\necho b'), undefined, { stdout: 'a\nb\n' }],
    ['&& runs on success', sh('true && echo yes'), undefined, { stdout: 'yes\n' }],
    ['&& skips on failure', sh('false && echo yes'), undefined, { status: 1, stdout: '' }],
    ['|| runs on failure', sh('false || echo rescued'), undefined, { status: 0, stdout: 'rescued\n' }],
    ['|| skips on success', sh('true || echo no'), undefined, { stdout: '' }],
    ['left-assoc chain', sh('false && echo a || echo b'), undefined, { stdout: 'b\n' }],
    ['single quotes are literal', sh("echo 'a  $HOSTNAME;b'"), undefined, { stdout: 'a  $HOSTNAME;b\n' }],
    [
      'double quotes expand',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: sh syntax, not a template
      sh('echo "host=$HOSTNAME ${GREETING}"'),
      undefined,
      { stdout: 'host=web-0 hello world\n' },
    ],
    ['escaped quote in double quotes', sh('echo "say \\"hi\\""'), undefined, { stdout: 'say "hi"\n' }],
    ['backslash escapes a space', sh('echo a\\ \\ b'), undefined, { stdout: 'a  b\n' }],
    ['$? after a command', sh('false; echo $?'), undefined, { stdout: '1\n' }],
    ['positional $0 and $1', ['sh', '-c', 'echo $0 $1', 'name', 'arg'], undefined, { stdout: 'name arg\n' }],
    ['empty unquoted variable disappears', sh('echo a $EMPTY b'), undefined, { stdout: 'a b\n' }],
    ['empty quoted variable stays', sh('echo a "$EMPTY" b'), undefined, { stdout: 'a  b\n' }],
    [
      '>&2 goes to stderr',
      sh('echo oops >&2; exit 1'),
      undefined,
      { status: 1, stdout: '', stderr: 'oops\n' },
    ],
    ['1>&2 goes to stderr', sh('echo oops 1>&2'), undefined, { stderr: 'oops\n', stdout: '' }],
    ['2>&1 goes to stdout', sh('nosuch 2>&1'), undefined, { status: 127, stdout: 'sh: nosuch: not found\n' }],
    ['>/dev/null discards', sh('echo gone >/dev/null; echo kept'), undefined, { stdout: 'kept\n' }],
    ['comments are ignored', sh('echo a # not this'), undefined, { stdout: 'a\n' }],
    ['cat inside sh reads stdin', sh('echo start; cat; echo end'), 'mid\n', { stdout: 'start\nmid\nend\n' }],
    ['nested sh -c', sh("sh -c 'exit 5' || echo $?"), undefined, { stdout: '5\n' }],
    ['sh reads a script from stdin', ['sh'], 'echo one\nexit 6\necho two\n', { status: 6, stdout: 'one\n' }],
    [
      'unterminated quote',
      sh("echo 'oops"),
      undefined,
      { status: 2, stderr: expect.stringContaining('unterminated') },
    ],
    [
      'unsupported pipe',
      sh('echo a | cat'),
      undefined,
      { status: 2, stderr: expect.stringContaining('unsupported') },
    ],
    [
      'dangling &&',
      sh('echo a &&'),
      undefined,
      { status: 2, stderr: expect.stringContaining('syntax error') },
    ],
    ['sh -c without script', ['sh', '-c'], undefined, { status: 2 }],
    ['exit codes wrap at 256', sh('exit 258'), undefined, { status: 2 }],
    ['sleep rejects garbage', ['sleep', 'soon'], undefined, { status: 1 }],
  ];

  it.each(cases)('%s', async (_name, argv, stdin, expected) => {
    expect(await run(argv, stdin ?? '')).toMatchObject(expected);
  });

  it('prints a prompt when interactive on a terminal', async () => {
    const result = await run(['sh'], 'echo hi\n', { tty: true });
    expect(result).toMatchObject({ status: 0, stdout: 'hi\n', stderr: '$ $ ' });
  });

  it('sleep ends early when the session is aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = runCommand(
      ['sleep', '30'],
      { stdin: new InputQueue(), stdout: () => {}, stderr: () => {}, signal: controller.signal },
      ENV,
    );
    setTimeout(() => controller.abort(), 20);
    expect(await pending).toBe(130);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
