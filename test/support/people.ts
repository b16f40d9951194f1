import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run as login } from '../../cli/login.ts';
import { run as reviews } from '../../cli/reviews.ts';
import type { Stack } from './stack.ts';

/**
 * A person at a terminal, for end-to-end tests: `hoop-gateway login` run in this process against
 * the stack's gateway, with the device-flow step played over HTTP at the stack's issuer as that
 * person (the issuer's test driver), and `hoop-gateway reviews` with the resulting sign-in. Each
 * person gets a config directory of their own, as each would have their own home.
 */
export interface Person {
  configDir: string;
  /** `XDG_CONFIG_HOME` for a child `hoop-gateway` process that should use this sign-in. */
  env: Record<string, string>;
  /** What `login` printed. */
  loginOutput: string;
  reviews(...args: string[]): Promise<{ code: number; out: string; err: string }>;
}

export async function signIn(stack: Stack, accountId: string): Promise<Person> {
  const home = await mkdtemp(join(tmpdir(), `hoop-person-${accountId}-`));
  const configDir = join(home, 'hoop-gateway');
  const caFile = join(home, 'gateway-ca.pem');
  await writeFile(caFile, stack.gateway.caPem ?? '');
  let out = '';
  let err = '';
  let approving: Promise<void> | undefined;
  const code = await login(['--gateway', stack.gateway.url, '--certificate-authority', caFile], {
    out: (text) => {
      out += text;
    },
    err: (text) => {
      err += text;
    },
    onPrompt: (prompt) => {
      approving = stack.issuer.approveDevice(prompt.userCode, accountId);
    },
    configDir,
  });
  await approving;
  if (code !== 0) throw new Error(`login as ${accountId} failed (${code}): ${err}${out}`);
  return {
    configDir,
    env: { XDG_CONFIG_HOME: home },
    loginOutput: out,
    async reviews(...args) {
      const captured = { out: '', err: '' };
      const result = await reviews(args, {
        out: (text) => {
          captured.out += text;
        },
        err: (text) => {
          captured.err += text;
        },
        configDir,
      });
      return { code: result, ...captured };
    },
  };
}
