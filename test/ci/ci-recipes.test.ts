import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { HOOP_GATEWAY_BIN } from '../../cli/credentials/exec-credential.ts';
import {
  type CiIssuer,
  githubClaims,
  gitlabClaims,
  serviceAccountClaims,
  startCiIssuer,
} from '../support/ci-issuer.ts';
import { runKubectl } from '../support/kubectl.ts';
import { type Stack, startStack } from '../support/stack.ts';

/**
 * The CI recipes in examples/ci, run as a pipeline would run them: the issuer and policy sections
 * of examples/ci/hoop.yaml configure a real gateway (issuer URLs pointed at local issuers minting
 * GitHub-, GitLab- and service-account-shaped tokens), the workflow's and the GitLab job's shell
 * steps run in bash with the platform's variables set, and the real kubectl does the rest.
 * Parsing the example files here keeps them from drifting from what works.
 */

const root = join(import.meta.dirname, '../..');
interface Fragment {
  authentication: { issuers: Array<Record<string, unknown> & { audience: string }> };
  policy: unknown;
}
interface Workflow {
  permissions: Record<string, string>;
  jobs: { deploy: { env: Record<string, string>; steps: Array<{ run?: string }> } };
}
interface GitlabJobs {
  deploy: { id_tokens: Record<string, { aud: string }>; before_script: string[]; script: string[] };
}
const example = <T>(name: string): T => parse(readFileSync(join(root, 'examples/ci', name), 'utf8')) as T;
const fragment = example<Fragment>('hoop.yaml');
const workflow = example<Workflow>('github-actions.yaml');
const gitlab = example<GitlabJobs>('gitlab-ci.yml');
const AUDIENCE = fragment.authentication.issuers[0]!.audience;

let stack: Stack;
let github: CiIssuer;
let gitlabIssuer: CiIssuer;
let kubernetes: CiIssuer;
let caFile: string;
let shimDir: string;

interface Shell {
  code: number;
  stdout: string;
  stderr: string;
}

function bash(script: string, env: Record<string, string>): Promise<Shell> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-eo', 'pipefail', '-c', script],
      {
        env: {
          PATH: `${shimDir}:${process.env['PATH']}`,
          HOME: stack.dir,
          KUBECACHEDIR: join(stack.dir, 'kube-cache'),
          ...env,
        },
        timeout: 60_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/** Installing tools is the platform's business; everything else in a recipe runs. */
const installs = (line: string) => /^(npm install|curl )/.test(line.trim());

beforeAll(async () => {
  github = await startCiIssuer('github', AUDIENCE);
  gitlabIssuer = await startCiIssuer('gitlab', AUDIENCE);
  kubernetes = await startCiIssuer('kubernetes', AUDIENCE);
  const locals = [github.issuer, gitlabIssuer.issuer, kubernetes.issuer];
  const issuers = fragment.authentication.issuers.map((entry, i) => ({
    ...entry,
    issuer: locals[i],
  }));
  stack = await startStack({ policy: fragment.policy, config: { authentication: { issuers } } });
  caFile = join(stack.dir, 'gateway-ca.pem');
  writeFileSync(caFile, stack.gateway.caPem ?? '');
  shimDir = join(stack.dir, 'bin');
  await mkdir(shimDir);
  writeFileSync(
    join(shimDir, 'hoop-gateway'),
    `#!/bin/sh\nexec "${process.execPath}" "${HOOP_GATEWAY_BIN}" "$@"\n`,
    { mode: 0o755 },
  );
}, 60_000);

afterAll(async () => {
  await stack?.close();
  await Promise.all([github?.close(), gitlabIssuer?.close(), kubernetes?.close()]);
});

/** Runs the workflow's `run` steps in order, carrying $GITHUB_ENV between them as Actions does. */
async function runWorkflow(claims: Record<string, unknown>, runId: string): Promise<Shell[]> {
  github.githubJob = githubClaims(AUDIENCE, claims);
  const job = workflow.jobs.deploy;
  const githubEnv = join(stack.dir, `github-env-${runId}`);
  writeFileSync(githubEnv, '');
  const env: Record<string, string> = {
    HOOP_GATEWAY_URL: stack.gateway.url,
    HOOP_AUDIENCE: job.env['HOOP_AUDIENCE'] ?? '',
    HOOP_CLUSTER: 'sandbox',
    HOOP_GATEWAY_CA: caFile,
    RUNNER_TEMP: await mkdirp(join(stack.dir, `runner-${runId}`)),
    GITHUB_ENV: githubEnv,
    GITHUB_RUN_ID: runId,
    GITHUB_SHA: 'a'.repeat(40),
    ACTIONS_ID_TOKEN_REQUEST_URL: github.githubRequestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: github.githubRequestToken,
  };
  const results: Shell[] = [];
  for (const step of job.steps) {
    if (!step.run || installs(step.run)) continue;
    const result = await bash(step.run, env);
    results.push(result);
    for (const line of readFileSync(githubEnv, 'utf8').split('\n')) {
      const at = line.indexOf('=');
      if (at > 0) env[line.slice(0, at)] = line.slice(at + 1);
    }
  }
  return results;
}

async function mkdirp(path: string): Promise<string> {
  await mkdir(path, { recursive: true });
  return path;
}

describe('examples/ci/github-actions.yaml', () => {
  it('asks for the id-token permission and sets the variables the steps use', () => {
    expect(workflow.permissions['id-token']).toBe('write');
    expect(Object.keys(workflow.jobs.deploy.env).sort()).toEqual([
      'HOOP_AUDIENCE',
      'HOOP_CLUSTER',
      'HOOP_GATEWAY_CA',
      'HOOP_GATEWAY_URL',
    ]);
  });

  it('lets the main branch of acme/payments deploy', async () => {
    const [kubeconfig, ask, deploy] = await runWorkflow(
      { repository: 'acme/payments', ref: 'refs/heads/main' },
      '101',
    );
    expect(kubeconfig).toMatchObject({ code: 0, stderr: '' });
    expect(ask?.stdout).toMatch(/Username\s+hoop:gh:acme\/payments:refs\/heads\/main/);
    expect(ask?.stdout).toMatch(/^yes$/m);
    expect(deploy).toMatchObject({ code: 0 });
    expect(deploy?.stdout).toContain('configmap/release-101 created');
    const line = stack.logLines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l['verb'] === 'create' && l['resource'] === 'configmaps' && l['status'] === 201);
    expect(line?.['context']).toMatchObject({
      repository: 'acme/payments',
      ref: 'refs/heads/main',
      run_id: '9876543210',
    });
  }, 90_000);

  it('denies another pipeline', async () => {
    const [, ask, deploy] = await runWorkflow(
      { repository: 'acme/payments', ref: 'refs/heads/feature' },
      '102',
    );
    expect(ask?.stdout).toMatch(/^no\b/m);
    expect(deploy?.code).not.toBe(0);
    expect(deploy?.stderr).toMatch(
      /policy denies "create" on configmaps .* for "gh:acme\/payments:refs\/heads\/feature"/,
    );
  }, 90_000);
});

describe('examples/ci/gitlab-ci.yml', () => {
  it('runs the job with its id_tokens token', async () => {
    const job = gitlab.deploy;
    expect(job.id_tokens['HOOP_ID_TOKEN']?.aud).toBe(AUDIENCE);
    const token = await gitlabIssuer.sign(gitlabClaims(AUDIENCE));
    const lines = [...job.before_script, ...job.script].filter((line) => !installs(line));
    const result = await bash(lines.join('\n'), {
      HOOP_ID_TOKEN: token,
      HOOP_GATEWAY_URL: stack.gateway.url,
      HOOP_CLUSTER: 'sandbox',
      HOOP_GATEWAY_CA: caFile,
      CI_PROJECT_DIR: await mkdirp(join(stack.dir, 'gitlab-project')),
      CI_PIPELINE_ID: '1234',
      CI_COMMIT_SHA: 'b'.repeat(40),
    });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/Username\s+hoop:gl:acme\/payments:main/);
    expect(result.stdout).toContain('configmap/release-1234 created');
  }, 90_000);
});

describe('a GitHub-shaped token through token --from-file and --from-env, with kubectl auth', () => {
  let fromFile: string;
  let fromEnv: string;
  let token: string;

  beforeAll(async () => {
    token = await github.sign(
      githubClaims(AUDIENCE, { repository: 'acme/payments', ref: 'refs/heads/main' }),
    );
    const tokenFile = join(stack.dir, 'github-token');
    writeFileSync(tokenFile, token);
    fromFile = join(stack.dir, 'from-file.kubeconfig');
    fromEnv = join(stack.dir, 'from-env.kubeconfig');
    const base = `hoop-gateway kubeconfig --gateway "${stack.gateway.url}" --cluster sandbox --ca "${caFile}"`;
    const made = await bash(
      `${base} --from-file "${tokenFile}" --output "${fromFile}"\n${base} --from-env JOB_TOKEN --output "${fromEnv}"`,
      {},
    );
    expect(made).toMatchObject({ code: 0, stderr: '' });
  });

  const kubectl = (kubeconfig: string, args: string[]) =>
    runKubectl({ kubeconfig, args, env: { JOB_TOKEN: token } });

  it('kubectl auth whoami prints the mapped identity, through either source', async () => {
    for (const kubeconfig of [fromFile, fromEnv]) {
      const result = await kubectl(kubeconfig, ['auth', 'whoami']);
      expect(result.stderr).toBe('');
      expect(result.stdout).toMatch(/Username\s+hoop:gh:acme\/payments:refs\/heads\/main/);
      expect(result.stdout).toMatch(/Groups\s+\[ci gh:acme system:authenticated\]/);
      expect(result.stdout).toContain('hoop-gateway/repository');
      expect(result.stdout).toContain('acme/payments');
    }
    // Answered by the gateway: nothing reached the cluster.
    expect(stack.sandbox.requests.some((r) => r.path.includes('selfsubjectreviews'))).toBe(false);
  });

  it('kubectl auth can-i answers from the policy, then the cluster', async () => {
    const asks = () =>
      stack.sandbox.requests.filter((r) => r.path.includes('selfsubjectaccessreviews')).length;
    const before = asks();
    const held = await kubectl(fromFile, ['auth', 'can-i', 'delete', 'namespace/scratch']);
    expect(held.code).toBe(1);
    expect(held.stdout).toMatch(
      /^no - allowed after approval by platform-oncall \(rule "namespace-delete-needs-approval"\)/,
    );
    const read = await kubectl(fromFile, ['auth', 'can-i', 'get', 'pods', '-n', 'payments']);
    expect(read).toMatchObject({ code: 0, stdout: 'yes\n' });
    const denied = await kubectl(fromFile, [
      'auth',
      'can-i',
      'create',
      'pods',
      '--subresource=portforward',
      '-n',
      'payments',
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stdout).toMatch(/^no - .*Port-forwarding into the payments namespace is not allowed/);
    // Only the allowed question went on to the cluster, as the agent.
    expect(asks() - before).toBe(1);
  });

  it('kubectl auth can-i --list shows the rules, review-gated verbs marked', async () => {
    const result = await kubectl(fromFile, ['auth', 'can-i', '--list', '-n', 'scratch']);
    expect(result.stderr).toMatch(
      /incomplete: the gateway's policy: verbs marked \(needs-approval\) are held/,
    );
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(
      /namespaces\.\*\s+\[\]\s+\[\]\s+\[delete\(needs-approval\) deletecollection\(needs-approval\)\]/,
    );
    expect(result.stdout).toMatch(/\*\.\*\s+\[\]\s+\[\]\s+\[get list watch create update patch delete\]/);
    expect(result.stdout).toMatch(
      /selfsubjectaccessreviews\.authorization\.k8s\.io\s+\[\]\s+\[\]\s+\[create\]/,
    );
    expect(result.stdout).not.toContain('selfsubjectaccessreviews.authentication.k8s.io');
    expect(result.stdout).toMatch(/\[\/version\]\s+\[\]\s+\[get/);
  });
});

describe('a Kubernetes service-account token', () => {
  it('authenticates an agent pod by its projected token', async () => {
    const tokenFile = join(stack.dir, 'sa-token');
    writeFileSync(tokenFile, await kubernetes.sign(serviceAccountClaims(AUDIENCE, 'agents', 'runner')));
    const kubeconfig = join(stack.dir, 'sa.kubeconfig');
    const made = await bash(
      `hoop-gateway kubeconfig --gateway "${stack.gateway.url}" --cluster sandbox --ca "${caFile}" --from-file "${tokenFile}" --output "${kubeconfig}"`,
      {},
    );
    expect(made.code).toBe(0);
    const whoami = await runKubectl({ kubeconfig, args: ['auth', 'whoami'] });
    expect(whoami.stdout).toMatch(/Username\s+hoop:sa:agents:runner/);
    expect(whoami.stdout).toMatch(/Groups\s+\[agents sa-namespace:agents system:authenticated\]/);
    const pods = await runKubectl({ kubeconfig, args: ['get', 'pods', '-n', 'payments', '-o', 'name'] });
    expect(pods.code).toBe(0);
    const write = await runKubectl({ kubeconfig, args: ['-n', 'scratch', 'create', 'configmap', 'sa-cm'] });
    expect(write.code).toBe(1);
  }, 60_000);
});
