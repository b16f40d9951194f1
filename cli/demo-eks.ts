import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAwsStandIn } from '@hoop-gateway/sandbox/aws/aws-stand-in';
import {
  AGENT_USER,
  GATEWAY_USER,
  TEST_ACCOUNT_ID,
  TEST_REGION,
  TEST_ROLES,
} from '@hoop-gateway/sandbox/aws/test-identities';
import { startSandbox } from '@hoop-gateway/sandbox/server';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { startGateway } from '../gateway/main.ts';
import { EKS_TOKEN_PREFIX } from '../src/aws/eks-token.ts';
import { loadConfigFile } from '../src/config/load.ts';
import { renderKubeconfig } from '../src/kubeconfig/render.ts';
import { redisUrlFromEnv } from '../src/queues/connections.ts';
import { UsageError } from './args.ts';
import { clearDemoKeys } from './demo-redis.ts';
import { untilSignal } from './serve.ts';

const run = promisify(execFile);

/** The gateway's id (what agents pass to `aws eks get-token --cluster-name`) and the EKS cluster's name. */
const GATEWAY_ID = 'hoop-demo';
const EKS_CLUSTER = 'demo-eks';

export interface EksDemoOptions {
  dir: string;
  port: number;
  kubeVersion: string;
  policyFile: string;
  /** Where the held calls' keys live in Redis; emptied at start (demo-redis.ts). */
  keyPrefix: string;
}

/**
 * `hoop-gateway demo --eks`: the whole AWS path on loopback. A stand-in for AWS STS and EKS
 * (checking SigV4 signatures against made-up test keys), the sandbox cluster in EKS mode (it only
 * takes STS-verified `k8s-aws-v1.` tokens for `demo-eks`), and the gateway with agents
 * authenticated by AWS IAM and its upstream reached with its own AWS identity (the SDK's default
 * chain, here the test keys in this process's environment; endpoint and CA from DescribeCluster).
 * The agent kubeconfig runs the real `aws eks get-token --cluster-name hoop-demo` with the test
 * keys and AWS_ENDPOINT_URL_STS pointing at the stand-in. No recordings; the demo policy's held
 * namespace deletes use Redis (REDIS_URL) as in the default demo, under the demo's own key prefix.
 */
export async function runEksDemo(options: EksDemoOptions): Promise<number> {
  const { dir } = options;
  await mkdir(join(dir, 'aws'), { recursive: true, mode: 0o700 });
  const awsVersion = await run('aws', ['--version'], { timeout: 60_000 }).then(
    ({ stdout, stderr }) => `${stdout}${stderr}`.trim().split(/\s/)[0] ?? 'aws',
    () => undefined,
  );
  if (!awsVersion) {
    throw new UsageError(
      "demo --eks runs the real AWS CLI as the agent's credential plugin: install it (e.g. apt-get install awscli or pip install awscli) and try again",
    );
  }
  const sts = await startAwsStandIn({ users: [AGENT_USER, GATEWAY_USER], roles: TEST_ROLES });
  const sandbox = await startSandbox({
    kubeVersion: options.kubeVersion,
    seed: true,
    eks: {
      clusterName: EKS_CLUSTER,
      stsUrl: sts.url,
      mappings: [{ arn: sts.userArn(GATEWAY_USER.name), username: 'hoop-gateway' }],
    },
  });
  sts.clusters.push({
    name: EKS_CLUSTER,
    endpoint: sandbox.url,
    certificateAuthorityData: Buffer.from(sandbox.caPem).toString('base64'),
  });

  // The agent's AWS CLI: test keys, the stand-in as STS, no profile of the person running the demo.
  const agentEnv = {
    AWS_ACCESS_KEY_ID: AGENT_USER.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AGENT_USER.secretAccessKey,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_DEFAULT_REGION: TEST_REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'aws', 'config-unused'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws', 'credentials-unused'),
  };
  // Older AWS CLI v2 builds (Debian's 2.9) ignore AWS_ENDPOINT_URL_STS and sign for AWS's host:
  // the gateway then connects to the stand-in for that host (stsConnectTo, a test-only switch).
  const { stdout } = await run(
    'aws',
    ['eks', 'get-token', '--cluster-name', GATEWAY_ID, '--region', TEST_REGION],
    {
      env: { ...process.env, ...agentEnv },
      timeout: 60_000,
    },
  );
  const probe = (JSON.parse(stdout) as { status: { token: string } }).status.token;
  const signedHost = new URL(Buffer.from(probe.slice(EKS_TOKEN_PREFIX.length), 'base64url').toString()).host;
  const usesEndpoint = signedHost === new URL(sts.url).host;

  // The gateway's own AWS identity, as IRSA or Pod Identity would provide it on EKS.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: GATEWAY_USER.accessKeyId,
    AWS_SECRET_ACCESS_KEY: GATEWAY_USER.secretAccessKey,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_EKS: sts.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: agentEnv.AWS_CONFIG_FILE,
    AWS_SHARED_CREDENTIALS_FILE: agentEnv.AWS_SHARED_CREDENTIALS_FILE,
  });
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];

  const config = {
    listen: { host: '127.0.0.1', port: options.port },
    dataDir: 'data',
    authentication: {
      aws: {
        gatewayId: GATEWAY_ID,
        stsEndpoints: [sts.url],
        ...(usesEndpoint ? {} : { stsConnectTo: sts.url }),
        mappings: [
          { arn: sts.userArn(AGENT_USER.name), username: 'demo-agent', groups: ['ai-agents'] },
          {
            arn: `arn:aws:iam::${TEST_ACCOUNT_ID}:role/agents-*`,
            username: 'aws:{{SessionName}}',
            groups: ['ai-agents'],
          },
        ],
      },
    },
    clusters: [{ name: 'eks', eks: { clusterName: EKS_CLUSTER, region: TEST_REGION } }],
    policyFile: options.policyFile,
    // Held calls live in Redis under the demo's prefix, never the production default (`hoop`).
    approvals: { redisUrl: redisUrlFromEnv(), keyPrefix: options.keyPrefix },
  };
  const configFile = join(dir, 'hoop-eks.yaml');
  await writeFile(
    configFile,
    `# Written by \`hoop-gateway demo --eks\`: the demo's effective configuration (AWS stand-in on loopback).\n${stringify(config)}`,
  );
  // Before the gateway starts, so none of its own keys are deleted.
  const redisStart = await clearDemoKeys(config.approvals.redisUrl, options.keyPrefix);
  const logger = pino({ level: 'info' }, pino.destination(join(dir, 'gateway-eks.log')));
  const gateway = await startGateway(await loadConfigFile(configFile), logger);
  const kubeconfig = join(dir, 'kubeconfig-eks');
  await writeFile(
    kubeconfig,
    renderKubeconfig({
      server: `${gateway.url}/clusters/eks`,
      caPem: gateway.caPem ?? '',
      name: 'demo-eks-agent',
      user: {
        exec: {
          apiVersion: 'client.authentication.k8s.io/v1beta1',
          command: 'aws',
          args: ['eks', 'get-token', '--cluster-name', GATEWAY_ID, '--region', TEST_REGION],
          env: Object.entries(agentEnv).map(([name, value]) => ({ name, value })),
          interactiveMode: 'Never',
        },
      },
    }),
    { mode: 0o600 },
  );
  process.stdout.write(
    [
      `hoop-gateway demo --eks ready: gateway ${gateway.url}/clusters/eks (sandbox Kubernetes ${options.kubeVersion} in EKS mode)`,
      '',
      `The agent is the IAM user ${sts.userArn(AGENT_USER.name)} (test keys; ${awsVersion}).`,
      `Its kubeconfig runs \`aws eks get-token --cluster-name ${GATEWAY_ID}\` against a local STS stand-in.`,
      'The gateway reaches the cluster with its own IAM identity (an EKS token it presigns and renews).',
      '',
      `  export KUBECONFIG=${kubeconfig}`,
      '  kubectl get pods -A                        # allowed: agents read everything (as demo-agent)',
      '  kubectl -n scratch create configmap hello --from-literal=a=b',
      '',
      `Configuration: ${configFile}`,
      `Gateway log:   ${join(dir, 'gateway-eks.log')}`,
      redisStart.answered
        ? `Redis:         held calls under ${options.keyPrefix}: at ${config.approvals.redisUrl} (emptied at start: ${redisStart.deleted} ${redisStart.deleted === 1 ? 'key' : 'keys'} deleted)`
        : `Redis:         not reachable at ${config.approvals.redisUrl}: namespace deletes, which wait for a person, get 503 until it is`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  await untilSignal();
  await gateway.close();
  await sandbox.close();
  await sts.close();
  return 0;
}
