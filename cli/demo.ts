import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import { startSandbox } from '@hoop-gateway/sandbox/server';
import { type Logger, pino } from 'pino';
import { stringify } from 'yaml';
import { type RunningBot, startBot } from '../bot/main.ts';
import { startGateway } from '../gateway/main.ts';
import { loadBotSigner, localKeyFile } from '../src/approvals/signing/load-signing.ts';
import { type GatewayConfig, loadConfigFile } from '../src/config/load.ts';
import { renderKubeconfig } from '../src/kubeconfig/render.ts';
import { redisUrlFromEnv } from '../src/queues/connections.ts';
import { parseCommandArgs, UsageError } from './args.ts';
import { execCredentialKubeconfigUser, HOOP_GATEWAY_BIN } from './credentials/exec-credential.ts';
import { demoBotKey, demoChat } from './demo-chat.ts';
import { runEksDemo } from './demo-eks.ts';
import { clearDemoKeys, demoKeyPrefix } from './demo-redis.ts';
import { startConsoleFor, untilSignal } from './serve.ts';

const HELP = `usage: hoop-gateway demo [--dir DIR] [--port P] [--console-port P] [--kube-version 1.31] [--key-prefix PREFIX] [--eks]

Starts, in this process: the sandbox cluster (seeded with namespaces default, payments, scratch),
a local OpenID issuer, and the gateway with the demo policy. Writes DIR/kubeconfig (an agent in
group ai-agents) and DIR/hoop.yaml (the effective configuration), and DIR/policy.yaml (the demo
policy) only when it is missing, so your edits survive a restart. Held calls (namespace deletes)
and recordings need Redis: REDIS_URL, else redis://127.0.0.1:6379; the demo's keys live under
--key-prefix (default hoop-demo) and are deleted at every start (each run has a new cluster).
The web console listens on --console-port (default 8444; with --port 0, a free port) and shows
sessions and reviews to the demo's person, demo-approver (docs/console.md). Stop with Ctrl-C.

--eks runs the AWS path instead, all on loopback: an AWS STS/EKS stand-in, the sandbox in EKS
mode, the gateway authenticating agents by AWS IAM and reaching the cluster with its own IAM
identity. Writes DIR/kubeconfig-eks, whose user runs the real \`aws eks get-token\` (the AWS CLI
must be installed). No recordings in that mode; held namespace deletes use Redis as above, under
--key-prefix (default hoop-demo-eks, so the two demos can run side by side).
`;

const DEMO_POLICY = fileURLToPath(new URL('../examples/demo-policy.yaml', import.meta.url));
const AUDIENCE = 'https://hoop-gateway.demo';
const AGENT = { clientId: 'demo-agent', groups: ['ai-agents'] };
/** The demo policy's approver for namespace deletes: a person in the demo's issuer, who signs in. */
const APPROVER = { id: 'demo-approver', email: 'demo-approver@example.com', groups: ['platform'] };
const PEOPLE_AUDIENCE = `${AUDIENCE}/approvals`;
const PEOPLE_CLIENT = 'hoop-gateway-cli';

export async function run(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(
    args,
    {
      dir: { type: 'string', default: '.hoop-demo' },
      port: { type: 'string', default: '8443' },
      'console-port': { type: 'string' },
      'kube-version': { type: 'string', default: '1.33' },
      'key-prefix': { type: 'string' },
      eks: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new UsageError(`--port: not a port: ${values.port}`);
  // Checked before anything is written: the demo deletes every key under it at start.
  const keyPrefix = demoKeyPrefix(values['key-prefix'] ?? (values.eks ? 'hoop-demo-eks' : 'hoop-demo'));
  const dir = resolve(values.dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  if (values.eks) {
    const policyFile = join(dir, 'policy.yaml');
    await writePolicyIfMissing(policyFile);
    return runEksDemo({ dir, port, kubeVersion: values['kube-version'], policyFile, keyPrefix });
  }

  const consolePort = await pickConsolePort(values['console-port'], port);
  const consoleUrl = `https://127.0.0.1:${consolePort}`;

  const sandbox = await startSandbox({ kubeVersion: values['kube-version'], seed: true });
  await writeFile(join(dir, 'upstream.kubeconfig'), sandbox.kubeconfig(), { mode: 0o600 });

  const clientSecret = randomBytes(24).toString('base64url');
  const secretFile = join(dir, `${AGENT.clientId}.secret`);
  await writeFile(secretFile, clientSecret, { mode: 0o600 });
  const issuer = await startOidcIssuer({
    audience: AUDIENCE,
    clients: [{ ...AGENT, clientSecret }],
    people: {
      clientId: PEOPLE_CLIENT,
      audience: PEOPLE_AUDIENCE,
      accounts: [APPROVER],
      // The web console signs people in with the same public client (authorization code + PKCE).
      redirectUris: [`${consoleUrl}/auth/callback`],
    },
  });

  const policyFile = join(dir, 'policy.yaml');
  const policyWritten = await writePolicyIfMissing(policyFile);
  // Slack and/or Teams when their tokens are in the environment (demo-chat.ts).
  const chat = demoChat(process.env, APPROVER.id);
  const config = {
    listen: { host: '127.0.0.1', port },
    dataDir: 'data',
    authentication: {
      issuers: [{ issuer: issuer.issuer, audience: AUDIENCE }],
      // People sign in here (hoop-gateway login) to decide reviews: own audience, own client.
      people: { issuer: issuer.issuer, audience: PEOPLE_AUDIENCE, clientId: PEOPLE_CLIENT },
    },
    identity: { userPrefix: 'hoop:', groupPrefix: '', extraGroups: [] },
    clusters: [{ name: 'sandbox', kubeconfig: { path: 'upstream.kubeconfig' } }],
    policyFile: 'policy.yaml',
    // Held calls live in Redis; decisions are signed with a key generated under data/keys.
    approvals: {
      redisUrl: redisUrlFromEnv(),
      keyPrefix,
      // The chat bot and the web console sign their decisions with keys of their own, which the
      // gateway trusts (both generated under the demo's directory).
      signing: {
        consolePrivateKey: await localKeyFile(join(dir, 'data'), 'console'),
        ...(chat ? { botPrivateKey: await demoBotKey(dir) } : {}),
      },
    },
    // The web console: sessions, replays and reviews in the browser, for the demo's person.
    console: {
      listen: { host: '127.0.0.1', port: consolePort },
      publicUrl: consoleUrl,
      viewers: APPROVER.groups,
      assets: CONSOLE_ASSETS,
    },
    // Every request and exec session is recorded; a session is archived 30 s after it goes idle.
    recording: { redisUrl: redisUrlFromEnv(), idleGap: '30s' },
    ...chat?.sections,
  };
  const configFile = join(dir, 'hoop.yaml');
  await writeFile(
    configFile,
    `# Written by \`hoop-gateway demo\`: the demo's effective configuration.\n${stringify(config)}`,
  );

  // Before the gateway starts, so none of its own keys are deleted.
  const redisStart = await clearDemoKeys(config.approvals.redisUrl, keyPrefix);
  const logger = pino({ level: 'info' }, pino.destination(join(dir, 'gateway.log')));
  const loaded = await loadConfigFile(configFile);
  const gateway = await startGateway(loaded, logger);
  const bot = chat ? await startDemoBot(loaded, logger) : undefined;
  const webConsole = await startConsoleFor(loaded, logger.child({ component: 'console' }));
  const caFile = join(dir, 'gateway-ca.pem');
  await writeFile(caFile, gateway.caPem ?? '');
  const kubeconfig = join(dir, 'kubeconfig');
  const user = {
    exec: execCredentialKubeconfigUser({
      issuer: issuer.issuer,
      clientId: AGENT.clientId,
      clientSecretFile: secretFile,
      audience: AUDIENCE,
      cacheDir: join(dir, 'token-cache'),
    }),
  };
  await writeFile(
    kubeconfig,
    renderKubeconfig({
      server: `${gateway.url}/clusters/sandbox`,
      caPem: gateway.caPem ?? '',
      user,
      name: 'demo-agent',
    }),
    { mode: 0o600 },
  );

  if (!redisStart.answered) {
    process.stdout.write(
      `warning: no Redis answers at ${config.approvals.redisUrl}. The demo keeps reviews and recordings there, and ` +
        'refuses every request it cannot record (503) until one does: start one (redis-server) or set REDIS_URL.\n\n',
    );
  }
  process.stdout.write(
    [
      `hoop-gateway demo ready: gateway ${gateway.url}/clusters/sandbox (sandbox Kubernetes ${values['kube-version']})`,
      '',
      'Try, as the agent "demo-agent" (group ai-agents):',
      `  alias hoop-gateway='${process.execPath} ${HOOP_GATEWAY_BIN}'`,
      `  export KUBECONFIG=${kubeconfig}`,
      '  kubectl get pods -A                                  # allowed: agents read everything',
      '  kubectl -n scratch create configmap hello --from-literal=a=b   # allowed in scratch',
      '  kubectl -n payments exec -i ledger-0 -- cat            # allowed: exec, stdin echoed back',
      '  kubectl delete namespace scratch                       # held until a person approves (below)',
      '  kubectl -n payments port-forward pod/ledger-0 8080:80  # denied in payments',
      '',
      `The namespace delete waits for approval (approvals in Redis at ${config.approvals.redisUrl}).`,
      `Approve it from another terminal: sign in as ${APPROVER.id}, a person in the demo's issuer`,
      '(open the link it prints, enter the code, pick the account), then decide:',
      `  hoop-gateway login --gateway ${gateway.url} --certificate-authority ${caFile}`,
      '  hoop-gateway reviews list --state pending',
      '  hoop-gateway reviews approve r-xxxxxx                 # or: reject r-xxxxxx --reason "…"',
      'kubectl keeps retrying while it waits, so it just finishes once approved.',
      '',
      `Web console: ${consoleUrl}  (sign in as ${APPROVER.id}; sessions, exec replays, live views, reviews)`,
      `  it is served with the demo's certificate: trust ${join(dir, 'data', 'tls', 'ca.crt')} in your browser, or proceed past its notice about the certificate`,
      '',
      'Every kubectl invocation is a recorded session (exec sessions as asciicast):',
      `  hoop-gateway sessions list --config ${configFile}`,
      `  hoop-gateway sessions show s-xxxxxxxxxx --config ${configFile}      # or: replay, verify`,
      '',
      policyWritten
        ? `Policy: ${policyFile} (the demo policy; kept across restarts: edit it and restart)`
        : `Policy: ${policyFile} (kept from an earlier run, with any edits; delete it for the demo policy)`,
      redisStart.answered
        ? `Redis: started fresh, the previous run's reviews and sessions are gone (${redisStart.deleted} ` +
          `${redisStart.deleted === 1 ? 'key' : 'keys'} under ${keyPrefix}: deleted; nothing ` +
          'else in Redis is touched)'
        : `Redis: not reachable at ${config.approvals.redisUrl} (see the warning above)`,
      ...(chat?.banner ?? [
        'Chat: set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Socket Mode) or TEAMS_* to post cards there',
      ]),
      `Configuration: ${configFile}   (hoop-gateway policy explain --policy ${configFile} …)`,
      `Gateway log:   ${join(dir, 'gateway.log')}`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );

  await untilSignal();
  await webConsole.close();
  await bot?.close();
  await gateway.close();
  await issuer.close();
  await sandbox.close();
  return 0;
}

/** The built front end (npm run build:console); the console says how to build it when missing. */
const CONSOLE_ASSETS = fileURLToPath(new URL('../dist/console', import.meta.url));

/** `--console-port`, else 8444, else (with `--port 0`) a free port: its URL must be known up front. */
async function pickConsolePort(option: string | undefined, gatewayPort: number): Promise<number> {
  const wanted = option === undefined ? (gatewayPort === 0 ? 0 : 8444) : Number(option);
  if (!Number.isInteger(wanted) || wanted < 0 || wanted > 65535)
    throw new UsageError(`--console-port: not a port: ${option}`);
  if (wanted !== 0) return wanted;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** The approval bot for the platforms the environment configured, signing with the demo's bot key. */
async function startDemoBot(config: GatewayConfig, logger: Logger): Promise<RunningBot> {
  const signer = await loadBotSigner(config.approvals.signing);
  if (!signer) throw new Error('demo: the bot key was not configured');
  return startBot({
    slack: config.slack,
    teams: config.teams,
    approvals: config.approvals,
    redis: config.redis,
    signer,
    recording: config.recording.enabled ? config.recording : undefined,
    logger: logger.child({ component: 'bot' }),
  });
}

/**
 * Copies the demo policy to `path` unless a file is already there: the README invites editing
 * DIR/policy.yaml and restarting, which an unconditional copy would silently undo. True when
 * written.
 */
async function writePolicyIfMissing(path: string): Promise<boolean> {
  try {
    await copyFile(DEMO_POLICY, path, constants.COPYFILE_EXCL);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}
