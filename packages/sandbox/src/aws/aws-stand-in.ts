/**
 * A stand-in for the two AWS APIs the gateway uses, on loopback HTTP, for tests and the demo:
 *
 * - STS: `GetCallerIdentity` (query-presigned GET, as in an EKS token, or header-signed POST),
 *   `AssumeRole` (trust by principal ARN, ExternalId, session tags, SourceIdentity) and
 *   `AssumeRoleWithWebIdentity` (IRSA: a web identity token the test hands it). Every signed
 *   request is checked with SigV4 against the test keys it knows (sigv4-verify.ts), within STS's
 *   15-minute window, session tokens included; temporary credentials it issues expire.
 * - EKS `DescribeCluster` (REST-JSON, signed for service `eks`): endpoint and CA of the clusters
 *   it is told about.
 *
 * The AWS CLI reaches it through `AWS_ENDPOINT_URL_STS` (CLI v1 and recent v2). A client that
 * signs for AWS's own host anyway (Debian's CLI 2.9) is served too: signatures are checked
 * against the Host header the request arrived with, so a test that connects to the stand-in
 * while keeping `Host: sts.<region>.amazonaws.com` gets AWS's behaviour.
 *
 * `calls` records each call (action, who, role, tags; never keys or tokens) for assertions;
 * `outage` makes every call answer 503, as an STS outage would.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sendRestJson, sendStsError, sendStsResult } from './aws-responses.ts';
import { parseSigV4, SigV4Error, verifySigV4 } from './sigv4-verify.ts';

export interface StandInUser {
  name: string;
  accessKeyId: string;
  secretAccessKey: string;
}

export interface StandInRole {
  name: string;
  /** ARNs allowed to assume it (users, roles: an assumed role counts as its role). */
  trustedPrincipals?: string[];
  /** Required ExternalId, when set. */
  externalId?: string;
  /** Web identity tokens accepted for AssumeRoleWithWebIdentity (IRSA). */
  webIdentityTokens?: string[];
}

export interface StandInCluster {
  name: string;
  endpoint: string;
  certificateAuthorityData: string;
}

export interface AwsStandInOptions {
  accountId?: string;
  users?: StandInUser[];
  roles?: StandInRole[];
  clusters?: StandInCluster[];
  /** Seconds temporary credentials last when the caller does not ask (default 3600). */
  defaultSessionSeconds?: number;
  host?: string;
  port?: number;
}

export interface StandInCall {
  action: string;
  /** Who signed (the caller's ARN), when known. */
  principal?: string;
  roleArn?: string;
  sessionName?: string;
  sourceIdentity?: string;
  tags?: Record<string, string>;
  /** The `x-k8s-aws-id` header of a GetCallerIdentity. */
  clusterId?: string;
  /** 'ok' or the error code. */
  outcome: string;
}

export interface AwsStandIn {
  /** `http://127.0.0.1:<port>`: AWS_ENDPOINT_URL_STS / AWS_ENDPOINT_URL_EKS. */
  url: string;
  accountId: string;
  calls: StandInCall[];
  /** The clusters DescribeCluster knows; tests may add to it after start. */
  clusters: StandInCluster[];
  /** True: every request answers 503 ServiceUnavailable. */
  outage: boolean;
  userArn(name: string): string;
  roleArn(name: string): string;
  close(): Promise<void>;
}

interface KnownKey {
  secretAccessKey: string;
  arn: string;
  userId: string;
  sessionToken?: string;
  expiresAtMs?: number;
  sourceIdentity?: string;
}

/** STS accepts a signature for 15 minutes around its X-Amz-Date. */
const SIGNATURE_WINDOW_MS = 15 * 60_000;

export async function startAwsStandIn(options: AwsStandInOptions = {}): Promise<AwsStandIn> {
  const accountId = options.accountId ?? '111122223333';
  const userArn = (name: string) => `arn:aws:iam::${accountId}:user/${name}`;
  const roleArn = (name: string) => `arn:aws:iam::${accountId}:role/${name}`;
  const keys = new Map<string, KnownKey>();
  for (const user of options.users ?? []) {
    keys.set(user.accessKeyId, {
      secretAccessKey: user.secretAccessKey,
      arn: userArn(user.name),
      userId: `AIDA${user.name
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 17)}`,
    });
  }
  const roles = new Map((options.roles ?? []).map((r) => [roleArn(r.name), r]));
  const calls: StandInCall[] = [];
  const clusters = [...(options.clusters ?? [])];
  const state = { outage: false };

  const issue = (role: StandInRole, sessionName: string, seconds: number, sourceIdentity?: string) => {
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const key: KnownKey = {
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(96).toString('base64'),
      arn: `arn:aws:sts::${accountId}:assumed-role/${role.name}/${sessionName}`,
      userId: `AROA${role.name
        .toUpperCase()
        .replace(/[^A-Z0-9]/g, '')
        .slice(0, 17)}:${sessionName}`,
      expiresAtMs: Date.now() + seconds * 1000,
      ...(sourceIdentity ? { sourceIdentity } : {}),
    };
    keys.set(accessKeyId, key);
    return { accessKeyId, key };
  };

  const credentialsResult = (accessKeyId: string, key: KnownKey) => ({
    AccessKeyId: accessKeyId,
    SecretAccessKey: key.secretAccessKey,
    SessionToken: key.sessionToken,
    Expiration: new Date(key.expiresAtMs ?? 0).toISOString(),
  });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomBytes(16).toString('hex');
    const body = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://stand-in.invalid');
    const json = /application\/json/.test(req.headers.accept ?? '');
    const isEks = url.pathname.startsWith('/clusters/');
    const params = new URLSearchParams(url.search);
    if (req.method === 'POST' && !isEks) {
      for (const [k, v] of new URLSearchParams(body.toString('utf8'))) params.append(k, v);
    }
    const action = isEks ? 'DescribeCluster' : (params.get('Action') ?? '');
    const call: StandInCall = { action, outcome: 'ok' };
    const clusterId = req.headers['x-k8s-aws-id'];
    if (typeof clusterId === 'string') call.clusterId = clusterId;
    calls.push(call);
    const fail = (status: number, code: string, message: string) => {
      call.outcome = code;
      if (isEks) return sendRestJson(res, status, { message }, code);
      return sendStsError(res, status, code, message, requestId, json);
    };
    if (state.outage) return fail(503, 'ServiceUnavailable', 'Service is unavailable (stand-in outage)');

    if (action === 'AssumeRoleWithWebIdentity') {
      const role = roles.get(params.get('RoleArn') ?? '');
      const token = params.get('WebIdentityToken') ?? '';
      call.roleArn = params.get('RoleArn') ?? '';
      if (!role?.webIdentityTokens?.includes(token)) {
        return fail(403, 'AccessDenied', 'Not authorized to perform sts:AssumeRoleWithWebIdentity');
      }
      const sessionName = params.get('RoleSessionName') ?? 'web-identity';
      call.sessionName = sessionName;
      const { accessKeyId, key } = issue(role, sessionName, sessionSeconds(params, options));
      return sendStsResult(
        res,
        action,
        {
          Credentials: credentialsResult(accessKeyId, key),
          AssumedRoleUser: { AssumedRoleId: key.userId, Arn: key.arn },
          SubjectFromWebIdentityToken: 'system:serviceaccount:hoop:hoop-gateway',
          Provider: 'stand-in',
          Audience: 'sts.amazonaws.com',
        },
        requestId,
        json,
      );
    }

    // Everything else is signed.
    let signer: KnownKey;
    try {
      const sig = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body,
      };
      const claimed = parseSigV4(sig);
      const key = keys.get(claimed.accessKeyId);
      if (!key)
        throw new SigV4Error(
          'InvalidClientTokenId',
          'The security token included in the request is invalid.',
        );
      if (key.sessionToken !== claimed.sessionToken) {
        throw new SigV4Error(
          'InvalidClientTokenId',
          'The security token included in the request is invalid.',
        );
      }
      if (key.expiresAtMs !== undefined && key.expiresAtMs <= Date.now()) {
        return fail(403, 'ExpiredToken', 'The security token included in the request is expired');
      }
      const verified = verifySigV4(sig, key.secretAccessKey);
      if (verified.service !== (isEks ? 'eks' : 'sts')) {
        throw new SigV4Error(
          'SignatureDoesNotMatch',
          `Credential should be scoped to correct service: '${isEks ? 'eks' : 'sts'}'.`,
        );
      }
      const age = Date.now() - verified.signedAtMs;
      if (age > SIGNATURE_WINDOW_MS || age < -SIGNATURE_WINDOW_MS) {
        return fail(
          403,
          verified.presigned ? 'AccessDenied' : 'SignatureDoesNotMatch',
          'Signature expired or not yet current',
        );
      }
      signer = key;
      call.principal = key.arn;
    } catch (error) {
      if (error instanceof SigV4Error) return fail(403, error.code, error.message);
      throw error;
    }

    if (isEks) {
      const name = decodeURIComponent(url.pathname.slice('/clusters/'.length));
      const cluster = clusters.find((c) => c.name === name);
      if (!cluster) return fail(404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
      return sendRestJson(res, 200, {
        cluster: {
          name,
          arn: `arn:aws:eks:us-east-1:${accountId}:cluster/${name}`,
          endpoint: cluster.endpoint,
          certificateAuthority: { data: cluster.certificateAuthorityData },
          status: 'ACTIVE',
        },
      });
    }
    if (action === 'GetCallerIdentity') {
      return sendStsResult(
        res,
        action,
        { Arn: signer.arn, UserId: signer.userId, Account: accountId },
        requestId,
        json,
      );
    }
    if (action === 'AssumeRole') {
      const arn = params.get('RoleArn') ?? '';
      const role = roles.get(arn);
      const sessionName = params.get('RoleSessionName') ?? '';
      const sourceIdentity = params.get('SourceIdentity') ?? undefined;
      Object.assign(call, { roleArn: arn, sessionName, ...(sourceIdentity ? { sourceIdentity } : {}) });
      const tags = tagsOf(params);
      if (Object.keys(tags).length > 0) call.tags = tags;
      const principal = signer.arn.replace(
        /^arn:aws:sts::(\d+):assumed-role\/([^/]+)\/.*$/,
        'arn:aws:iam::$1:role/$2',
      );
      if (!role || !(role.trustedPrincipals ?? []).includes(principal)) {
        return fail(
          403,
          'AccessDenied',
          `User: ${signer.arn} is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
        );
      }
      if (role.externalId !== undefined && params.get('ExternalId') !== role.externalId) {
        return fail(
          403,
          'AccessDenied',
          `User: ${signer.arn} is not authorized to perform: sts:AssumeRole on resource: ${arn}`,
        );
      }
      if (!/^[\w+=,.@-]{2,64}$/.test(sessionName)) {
        return fail(400, 'ValidationError', 'RoleSessionName must satisfy [\\w+=,.@-]{2,64}');
      }
      if (sourceIdentity !== undefined && !/^[\w+=,.@-]{2,64}$/.test(sourceIdentity)) {
        return fail(400, 'ValidationError', 'SourceIdentity must satisfy [\\w+=,.@-]{2,64}');
      }
      const { accessKeyId, key } = issue(role, sessionName, sessionSeconds(params, options), sourceIdentity);
      return sendStsResult(
        res,
        action,
        {
          Credentials: credentialsResult(accessKeyId, key),
          AssumedRoleUser: { AssumedRoleId: key.userId, Arn: key.arn },
          ...(sourceIdentity ? { SourceIdentity: sourceIdentity } : {}),
        },
        requestId,
        json,
      );
    }
    return fail(
      400,
      'InvalidAction',
      `Could not find operation ${action.slice(0, 50)} for version 2011-06-15`,
    );
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accountId,
    calls,
    clusters,
    get outage() {
      return state.outage;
    },
    set outage(value: boolean) {
      state.outage = value;
    },
    userArn,
    roleArn,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function sessionSeconds(params: URLSearchParams, options: AwsStandInOptions): number {
  const asked = Number(params.get('DurationSeconds'));
  return Number.isInteger(asked) && asked > 0 ? asked : (options.defaultSessionSeconds ?? 3600);
}

/** `Tags.member.1.Key=a&Tags.member.1.Value=b` → `{ a: 'b' }`. */
function tagsOf(params: URLSearchParams): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 1; params.has(`Tags.member.${i}.Key`); i++) {
    tags[params.get(`Tags.member.${i}.Key`) ?? ''] = params.get(`Tags.member.${i}.Value`) ?? '';
  }
  return tags;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1024 * 1024) throw new Error('body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
