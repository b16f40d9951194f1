import { resolve } from 'node:path';
import type { Approver } from '../src/approvals/review.types.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { type DevicePrompt, deviceLogin, type PeopleIssuer } from './people/device-login.ts';
import { ApiError, callApi } from './people/gateway-client.ts';
import { configDir, normalizeGateway, type PeopleSession, writeSession } from './people/session-file.ts';

/**
 * `hoop-gateway login --gateway URL`: a person signs in to decide reviews. The gateway says where
 * (`GET /hoop/v1/login`: its people issuer, client and audience); the device authorization grant
 * runs against that issuer (people/device-login.ts); the token set is cached for this gateway in
 * the user's config directory (people/session-file.ts, 0600); and `GET /hoop/v1/whoami` proves the
 * token works and logs the sign-in on the gateway. Prints who the person is as an approver.
 *
 * Exit codes: 0 signed in; 1 the sign-in failed or was refused; 2 usage.
 */
const USAGE = `usage: hoop-gateway login --gateway https://gateway.example.com [--certificate-authority FILE]

Signs you in (OAuth device authorization: open the link, enter the code) so that
\`hoop-gateway reviews\` can approve and reject as you. The sign-in is kept per gateway in
${configDir()} (readable by you only) and refreshed as needed.
`;

const OPTIONS = {
  gateway: { type: 'string', short: 'g' },
  'certificate-authority': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface LoginIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** Told the device prompt as data (tests drive the issuer with it). */
  onPrompt?: (prompt: DevicePrompt) => void;
  configDir?: string;
}

const stdio: LoginIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

export async function run(args: string[], io: LoginIo = stdio): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS, false);
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  if (!values.gateway) throw new UsageError(`login needs --gateway URL\n\n${USAGE}`);
  let gateway: string;
  try {
    gateway = normalizeGateway(values.gateway);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const caFile = values['certificate-authority'] ? resolve(values['certificate-authority']) : undefined;
  try {
    const issuer = await callApi<PeopleIssuer & { kind: string }>({
      gateway,
      path: '/hoop/v1/login',
      caFile,
    });
    io.out(`Signing in to ${gateway} with ${issuer.issuer} …\n`);
    const tokens = await deviceLogin(issuer, (prompt) => {
      io.out(
        [
          `Open ${prompt.verificationUri} and enter the code ${prompt.userCode}`,
          ...(prompt.verificationUriComplete ? [`(or open ${prompt.verificationUriComplete})`] : []),
          `Waiting for you to sign in (the code expires in ${Math.round(prompt.expiresInSeconds / 60)} min) …`,
          '',
        ].join('\n'),
      );
      io.onPrompt?.(prompt);
    });
    const session: PeopleSession = {
      gateway,
      ...(caFile ? { caFile } : {}),
      issuer: issuer.issuer,
      clientId: issuer.clientId,
      audience: issuer.audience,
      scopes: issuer.scopes,
      accessToken: tokens.accessToken,
      expiresAt: tokens.expiresAt,
      ...(tokens.refreshToken ? { refreshToken: tokens.refreshToken } : {}),
    };
    const me = await callApi<Approver>({
      gateway,
      path: '/hoop/v1/whoami',
      token: tokens.accessToken,
      caFile,
    });
    await writeSession(session, io.configDir ?? configDir());
    const groups = me.groups.length ? ` (groups: ${me.groups.join(', ')})` : '';
    io.out(`Signed in to ${gateway} as ${me.id}${groups}. \`hoop-gateway reviews\` now decides as you.\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    io.err(`error: ${error instanceof ApiError || error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
}
