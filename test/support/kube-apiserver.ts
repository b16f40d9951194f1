/**
 * A real kube-apiserver for tests: the upstream kube-apiserver from k8s.io/kubernetes with an
 * embedded etcd (test/kube-apiserver/main.go), built once by test/kube-apiserver/build.sh into a
 * cache directory outside the repository.
 *
 * - {@link describeWithKubeApiserver} wraps a suite: it runs when the binary is built or can be
 *   built (a Go toolchain is present), and is skipped with the reason in its title otherwise (or
 *   when HOOP_SKIP_KUBE_APISERVER=1). {@link ensureKubeApiserverBinary} builds it when missing;
 *   concurrent callers wait for one build (build.sh holds a lock).
 * - {@link startKubeApiserver} generates a CA, the serving certificate, a service-account signing
 *   key, a static token file with one admin (group system:masters) and an audit policy (level
 *   Metadata, JSON lines), then runs the server on a free loopback port with a temp data dir and
 *   waits until it is ready. RBAC is the only authorizer; there is no kubelet, scheduler or
 *   controller-manager (pods stay Pending, deployments get no replica sets, a deleted namespace
 *   stays Terminating).
 * - {@link gatewayKubeconfig} gives the gateway a credential the way a cluster operator would:
 *   namespace hoop-system, service account hoop-gateway, the repository's manifests/rbac applied
 *   for real, and a TokenRequest token. That identity may impersonate, nothing else.
 */
import 'reflect-metadata';
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { seedObjects } from '@hoop-gateway/sandbox/seed';
import { describe } from 'vitest';
import { renderKubeconfig } from '../../src/kubeconfig/render.ts';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/certificate-issuer.ts';
import { freePort } from './free-port.ts';
import { missingKubectl, runKubectl } from './kubectl.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const BUILD_SCRIPT = join(REPO, 'test/kube-apiserver/build.sh');
/** The kubectl the helper uses for admin work (applying manifests, creating tokens). */
export const ADMIN_KUBECTL = '1.33';

/** Where build.sh puts (or has put) the binary. */
export function kubeApiserverBinaryPath(): string {
  return (
    process.env['HOOP_KUBE_APISERVER'] || execFileSync(BUILD_SCRIPT, ['--path'], { encoding: 'utf8' }).trim()
  );
}

/** The Kubernetes version the binary is built from (the k8s.io/kubernetes line of go.mod). */
export function kubeApiserverVersion(): string {
  return /-(v\d+\.\d+\.\d+)$/.exec(kubeApiserverBinaryPath())?.[1] ?? 'unknown';
}

function goAvailable(): boolean {
  const dirs = [...(process.env['PATH'] ?? '').split(delimiter), '/usr/local/go/bin', '/usr/lib/go/bin'];
  return dirs.some((dir) => dir !== '' && existsSync(join(dir, 'go')));
}

/** Why the real-apiserver suites cannot run here; undefined when they can. */
export function kubeApiserverUnavailable(): string | undefined {
  if (process.env['HOOP_SKIP_KUBE_APISERVER'] === '1') return 'HOOP_SKIP_KUBE_APISERVER=1';
  const binary = kubeApiserverBinaryPath();
  if (existsSync(binary)) return undefined;
  if (process.env['HOOP_KUBE_APISERVER']) return `HOOP_KUBE_APISERVER=${binary} does not exist`;
  if (goAvailable()) return undefined;
  return `no kube-apiserver at ${binary} and no Go toolchain to build it (install Go, then run test/kube-apiserver/build.sh)`;
}

/**
 * `describe` for suites that need the real kube-apiserver (and kubectl `versions`, at least the
 * admin one): skipped, with the reason in the title, when either is missing.
 */
export function describeWithKubeApiserver(
  title: string,
  body: () => void,
  kubectlVersions: readonly string[] = [],
): void {
  const why = kubeApiserverUnavailable() ?? missingKubectl([...new Set([ADMIN_KUBECTL, ...kubectlVersions])]);
  if (why) describe.skip(`${title} (skipped: ${why})`, body);
  else describe(title, body);
}

/** Timeout for a `beforeAll` that may have to build the binary first (a cold build: see CONTRIBUTING.md). */
export const BUILD_TIMEOUT_MS = 40 * 60_000;

/** Builds the binary when it is missing (build.sh serialises concurrent builds) and returns its path. */
export async function ensureKubeApiserverBinary(): Promise<string> {
  const binary = kubeApiserverBinaryPath();
  if (existsSync(binary)) return binary;
  await new Promise<void>((resolve, reject) => {
    execFile(BUILD_SCRIPT, [], { maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`test/kube-apiserver/build.sh failed: ${error.message}\n${stderr}`));
      else resolve();
    });
  });
  return binary;
}

/** One event of the JSON audit log (the fields the tests read). */
export interface AuditEvent {
  auditID: string;
  stage: string;
  verb: string;
  requestURI: string;
  user: { username: string; groups?: string[] };
  impersonatedUser?: { username: string; groups?: string[] };
  objectRef?: {
    resource?: string;
    namespace?: string;
    name?: string;
    apiGroup?: string;
    apiVersion?: string;
    subresource?: string;
  };
  responseStatus?: { code?: number; reason?: string };
}

export interface AdminResponse {
  status: number;
  body: string;
}

export interface KubeApiserver {
  /** https://127.0.0.1:<port> */
  url: string;
  caPem: string;
  /** The admin's bearer token (user `admin`, group `system:masters`). */
  adminToken: string;
  /** A kubeconfig file for the admin. */
  adminKubeconfig: string;
  dir: string;
  auditLogPath: string;
  /** Every audit event written so far. */
  auditEvents(): Promise<AuditEvent[]>;
  /** The events with this audit ID (sent as the `Audit-ID` request header), waiting for at least one. */
  auditEventsFor(auditId: string, timeoutMs?: number): Promise<AuditEvent[]>;
  /** One HTTPS request as the admin. */
  adminRequest(method: string, path: string, body?: string, contentType?: string): Promise<AdminResponse>;
  /** `kubectl apply -f -` as the admin; throws when kubectl fails. */
  applyAsAdmin(yaml: string): Promise<string>;
  /** kubectl as the admin; throws when kubectl fails. */
  kubectlAsAdmin(args: string[], stdin?: string): Promise<string>;
  /** What the process printed (the tail), for failure messages. */
  output(): string;
  close(): Promise<void>;
}

const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
  - level: Metadata
`;

function httpsRequest(
  url: string,
  caPem: string,
  token: string,
  method: string,
  path: string,
  body?: string,
  contentType = 'application/json',
): Promise<AdminResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(path, url);
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method,
        ca: caPem,
        agent: false,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': contentType }),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error(`${method} ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a kube-apiserver (building the binary first if needed) and waits until it is ready. */
export async function startKubeApiserver(options: { readyTimeoutMs?: number } = {}): Promise<KubeApiserver> {
  const binary = await ensureKubeApiserverBinary();
  const dir = await mkdtemp(join(tmpdir(), 'hoop-kube-apiserver-'));
  const ca = await createCertificateAuthority('hoop-gateway test kube-apiserver CA');
  const serving = await issueServingCertificate(ca, ['127.0.0.1', 'localhost']);
  // The service-account signing key: any ECDSA key in PKCS#8 PEM will do; a serving key is one.
  const saKey = (await issueServingCertificate(ca, ['service-accounts.invalid'])).keyPem;
  const adminToken = globalThis.crypto.randomUUID();
  const files = {
    tlsCert: join(dir, 'tls.crt'),
    tlsKey: join(dir, 'tls.key'),
    saKey: join(dir, 'sa.key'),
    saPub: join(dir, 'sa.pub'),
    tokens: join(dir, 'tokens.csv'),
    auditPolicy: join(dir, 'audit-policy.yaml'),
    auditLog: join(dir, 'audit.log'),
    adminKubeconfig: join(dir, 'admin.kubeconfig'),
  };
  await writeFile(files.tlsCert, serving.certPem);
  await writeFile(files.tlsKey, serving.keyPem, { mode: 0o600 });
  await writeFile(files.saKey, saKey, { mode: 0o600 });
  // --service-account-key-file wants the public half (an SPKI "PUBLIC KEY" block).
  await writeFile(files.saPub, createPublicKey(saKey).export({ type: 'spki', format: 'pem' }).toString());
  // token,user,uid,"group1,group2"
  await writeFile(files.tokens, `${adminToken},admin,admin-uid,"system:masters"\n`, { mode: 0o600 });
  await writeFile(files.auditPolicy, AUDIT_POLICY);

  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  await writeFile(
    files.adminKubeconfig,
    renderKubeconfig({ server: url, caPem: ca.certPem, user: { token: adminToken }, name: 'admin' }),
    { mode: 0o600 },
  );
  const issuer = 'https://kubernetes.default.svc.cluster.local';
  const args = [
    `--etcd-data-dir=${join(dir, 'etcd')}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(dir, 'certs')}`,
    `--tls-cert-file=${files.tlsCert}`,
    `--tls-private-key-file=${files.tlsKey}`,
    `--token-auth-file=${files.tokens}`,
    '--anonymous-auth=false',
    '--authorization-mode=RBAC',
    `--service-account-issuer=${issuer}`,
    `--api-audiences=${issuer}`,
    `--service-account-key-file=${files.saPub}`,
    `--service-account-signing-key-file=${files.saKey}`,
    '--service-cluster-ip-range=10.96.0.0/16',
    // No controller-manager creates the `default` service account, so pods could not be admitted.
    '--disable-admission-plugins=ServiceAccount',
    `--audit-policy-file=${files.auditPolicy}`,
    `--audit-log-path=${files.auditLog}`,
    '--audit-log-format=json',
    '--audit-log-mode=blocking',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--allow-privileged=true',
    '--v=0',
  ];
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);

  const adminRequest = (method: string, path: string, body?: string, contentType?: string) =>
    httpsRequest(url, ca.certPem, adminToken, method, path, body, contentType);
  const close = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + (options.readyTimeoutMs ?? 120_000);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`kube-apiserver exited (${child.exitCode ?? child.signalCode}):\n${tail}`);
      }
      const ready = await adminRequest('GET', '/readyz').catch(() => undefined);
      // The `default` namespace appears shortly after /readyz; tests write into it.
      if (ready?.status === 200) {
        const ns = await adminRequest('GET', '/api/v1/namespaces/default').catch(() => undefined);
        if (ns?.status === 200) break;
      }
      if (Date.now() > deadline) throw new Error(`kube-apiserver not ready in time:\n${tail}`);
      await sleep(250);
    }
  } catch (error) {
    await close();
    throw error;
  }

  const kubectlAsAdmin = async (kubectlArgs: string[], stdin?: string) => {
    const run = await runKubectl({
      kubeconfig: files.adminKubeconfig,
      version: ADMIN_KUBECTL,
      args: kubectlArgs,
      timeoutMs: 60_000,
      ...(stdin === undefined ? {} : { stdin }),
    });
    if (run.code !== 0) throw new Error(`admin kubectl ${kubectlArgs.join(' ')} failed:\n${run.stderr}`);
    return run.stdout;
  };
  const auditEvents = async (): Promise<AuditEvent[]> => {
    const text = await readFile(files.auditLog, 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as AuditEvent);
  };
  return {
    url,
    caPem: ca.certPem,
    adminToken,
    adminKubeconfig: files.adminKubeconfig,
    dir,
    auditLogPath: files.auditLog,
    auditEvents,
    auditEventsFor: async (auditId, timeoutMs = 10_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const events = (await auditEvents()).filter((e) => e.auditID === auditId);
        if (events.length > 0) return events;
        if (Date.now() > deadline) throw new Error(`no audit event with ID ${auditId}`);
        await sleep(50);
      }
    },
    adminRequest,
    applyAsAdmin: (yaml) => kubectlAsAdmin(['apply', '-f', '-'], yaml),
    kubectlAsAdmin,
    output: () => tail,
    close,
  };
}

/**
 * The gateway's upstream credential, set up as the deployment docs describe: namespace
 * hoop-system, service account hoop-gateway, manifests/rbac applied with `kubectl apply -k`, and a
 * token from the TokenRequest API. Returns a kubeconfig (YAML) for the gateway.
 */
export async function gatewayKubeconfig(apiserver: KubeApiserver): Promise<string> {
  await apiserver.applyAsAdmin(
    'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: hoop-system\n---\n' +
      'apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: hoop-gateway\n  namespace: hoop-system\n',
  );
  await apiserver.kubectlAsAdmin(['apply', '-k', join(REPO, 'manifests/rbac')]);
  const token = (
    await apiserver.kubectlAsAdmin(['create', 'token', 'hoop-gateway', '-n', 'hoop-system', '--duration=2h'])
  ).trim();
  return renderKubeconfig({ server: apiserver.url, caPem: apiserver.caPem, user: { token }, name: 'hoop' });
}

/** The service account's user name as RBAC and audit see it. */
export const GATEWAY_USER = 'system:serviceaccount:hoop-system:hoop-gateway';

/**
 * Creates the sandbox's seed objects (packages/sandbox/src/seed.ts: namespaces, deployments,
 * services, config maps, secrets, the ledger pod) in the real cluster, so suites written against
 * the seed run against both upstreams. Without controllers, deployments get no pods.
 */
export async function seedLikeSandbox(apiserver: KubeApiserver): Promise<void> {
  const documents = seedObjects().map(([, namespace, object]) => {
    const metadata = { ...(object['metadata'] as Record<string, unknown>) };
    if (namespace !== '') metadata['namespace'] = namespace;
    return JSON.stringify({ ...object, metadata });
  });
  // Namespaces first, so the namespaced objects have somewhere to go.
  const [namespaces, rest] = [documents.filter((d) => d.includes('"kind":"Namespace"')), documents];
  await apiserver.applyAsAdmin(namespaces.join('\n---\n'));
  await apiserver.applyAsAdmin(rest.filter((d) => !namespaces.includes(d)).join('\n---\n'));
}
