import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AwsStandIn, type StandInUser, startAwsStandIn } from '@hoop-gateway/sandbox/aws/aws-stand-in';
import {
  AGENT_USER,
  GATEWAY_USER,
  STRANGER_USER,
  TEST_ACCOUNT_ID,
  TEST_ROLES,
} from '@hoop-gateway/sandbox/aws/test-identities';
import { type Sandbox, startSandbox } from '@hoop-gateway/sandbox/server';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { type RunningGateway, startGateway } from '../../gateway/main.ts';
import { loadConfigFile } from '../../src/config/load.ts';
import { renderKubeconfig } from '../../src/kubeconfig/render.ts';
import { awsCliEnv, awsEksToken, tokenHost } from './aws-cli.ts';

/** The gateway's id agents sign into their tokens, and the EKS cluster's name behind it. */
export const GATEWAY_ID = 'hoop-gw-e2e';
export const EKS_CLUSTER = 'prod-eks';
export const EXTERNAL_ID = 'hoop-test-external-id';

export interface EksStack {
  dir: string;
  sts: AwsStandIn;
  sandbox: Sandbox;
  gateway: RunningGateway;
  logLines: string[];
  /** Whether the installed AWS CLI signs for the stand-in (honours AWS_ENDPOINT_URL_STS). */
  cliUsesEndpoint: boolean;
  /** A kubeconfig whose user runs `aws eks get-token --cluster-name <gatewayId>` as `user`. */
  agentKubeconfig(cluster: string, user?: StandInUser): Promise<string>;
  clusterUrl(cluster: string): string;
  close(): Promise<void>;
}

const AWS_ENV_NAMES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_EKS',
  'AWS_EC2_METADATA_DISABLED',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_PROFILE',
  'AWS_REGION',
];

/**
 * The whole AWS path on loopback: the STS/EKS stand-in, the sandbox in EKS mode (it takes only
 * STS-verified tokens for cluster `prod-eks`, and maps the gateway's identities to users), and the
 * gateway started from a real config file with agents authenticated by AWS IAM and three
 * upstreams to that cluster:
 *
 * - `eks`: the gateway's own identity from the SDK's default chain (here: environment variables),
 *   endpoint and CA looked up with DescribeCluster;
 * - `eks-role`: AssumeRole `eks-access` with an external id, one tagged session per agent;
 * - `eks-exec`: a kubeconfig whose user runs the real `aws eks get-token`.
 *
 * The gateway's AWS environment is set on this process (vitest runs each file in its own) and
 * restored by `close`.
 */
export async function startEksStack(options: { policy: unknown }): Promise<EksStack> {
  const dir = await mkdtemp(join(tmpdir(), 'hoop-eks-'));
  const sts = await startAwsStandIn({ users: [AGENT_USER, GATEWAY_USER, STRANGER_USER], roles: TEST_ROLES });
  const sandbox = await startSandbox({
    seed: true,
    eks: {
      clusterName: EKS_CLUSTER,
      stsUrl: sts.url,
      mappings: [
        { arn: sts.userArn(GATEWAY_USER.name), username: 'hoop-gateway' },
        { arn: sts.roleArn('eks-access'), username: 'hoop-gateway:{{SessionName}}' },
      ],
    },
  });
  const caData = Buffer.from(sandbox.caPem).toString('base64');
  sts.clusters.push({ name: EKS_CLUSTER, endpoint: sandbox.url, certificateAuthorityData: caData });

  const savedEnv = Object.fromEntries(AWS_ENV_NAMES.map((n) => [n, process.env[n]]));
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: GATEWAY_USER.accessKeyId,
    AWS_SECRET_ACCESS_KEY: GATEWAY_USER.secretAccessKey,
    AWS_ENDPOINT_URL_STS: sts.url,
    AWS_ENDPOINT_URL_EKS: sts.url,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_CONFIG_FILE: join(dir, 'aws-config-absent'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials-absent'),
  });
  delete process.env['AWS_SESSION_TOKEN'];
  delete process.env['AWS_PROFILE'];

  // Which AWS CLI is this? Debian's 2.9 ignores AWS_ENDPOINT_URL_STS and signs for AWS's host.
  const probe = await awsEksToken(AGENT_USER, GATEWAY_ID, sts.url, dir);
  const cliUsesEndpoint = tokenHost(probe) === new URL(sts.url).host;

  const execUser = (user: StandInUser, clusterName: string) => ({
    exec: {
      apiVersion: 'client.authentication.k8s.io/v1beta1',
      command: 'aws',
      args: ['eks', 'get-token', '--cluster-name', clusterName, '--region', 'us-east-1'],
      env: Object.entries(awsCliEnv(user, sts.url, dir)).map(([name, value]) => ({ name, value })),
      interactiveMode: 'Never',
    },
  });
  await writeFile(
    join(dir, 'eks-exec.kubeconfig'),
    renderKubeconfig({
      server: sandbox.url,
      caPem: sandbox.caPem,
      user: execUser(GATEWAY_USER, EKS_CLUSTER),
      name: 'eks',
    }),
    { mode: 0o600 },
  );
  const config = {
    listen: { host: '127.0.0.1', port: 0 },
    dataDir: 'data',
    authentication: {
      aws: {
        gatewayId: GATEWAY_ID,
        stsEndpoints: [sts.url],
        ...(cliUsesEndpoint ? {} : { stsConnectTo: sts.url }),
        mappings: [
          {
            arn: `arn:aws:iam::${TEST_ACCOUNT_ID}:role/agents-*`,
            username: 'aws:{{SessionName}}',
            groups: ['ai-agents'],
          },
          { arn: sts.userArn(AGENT_USER.name), username: 'agent-ci', groups: ['ai-agents'] },
        ],
      },
    },
    clusters: [
      { name: 'eks', eks: { clusterName: EKS_CLUSTER, region: 'us-east-1' } },
      {
        name: 'eks-role',
        eks: {
          clusterName: EKS_CLUSTER,
          region: 'us-east-1',
          roleArn: sts.roleArn('eks-access'),
          externalId: EXTERNAL_ID,
          sessionTags: true,
          endpoint: sandbox.url,
          certificateAuthorityData: caData,
        },
      },
      { name: 'eks-exec', kubeconfig: { path: 'eks-exec.kubeconfig', execTimeout: '60s' } },
    ],
    policy: options.policy,
  };
  await writeFile(join(dir, 'hoop.yaml'), stringify(config));
  const logLines: string[] = [];
  const gateway = await startGateway(
    await loadConfigFile(join(dir, 'hoop.yaml')),
    pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) }),
  );
  const clusterUrl = (cluster: string) => `${gateway.url}/clusters/${cluster}`;
  return {
    dir,
    sts,
    sandbox,
    gateway,
    logLines,
    cliUsesEndpoint,
    clusterUrl,
    agentKubeconfig: async (cluster, user = AGENT_USER) => {
      const path = join(dir, `${user.name}-${cluster}.kubeconfig`);
      await writeFile(
        path,
        renderKubeconfig({
          server: clusterUrl(cluster),
          caPem: gateway.caPem ?? '',
          user: execUser(user, GATEWAY_ID),
          name: 'agent',
        }),
        { mode: 0o600 },
      );
      return path;
    },
    close: async () => {
      await gateway.close();
      await sandbox.close();
      await sts.close();
      for (const [name, value] of Object.entries(savedEnv)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
