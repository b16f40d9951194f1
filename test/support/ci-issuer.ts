import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CryptoKey, exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';

/**
 * A CI platform's (or a cluster's) OpenID issuer on loopback, for tests: discovery and JWKS as
 * GitHub, GitLab and kube-apiserver publish them, and tokens shaped like theirs, signed with a
 * generated key. With `kind: 'kubernetes'` the JWKS lives at `/openid/v1/jwks`, as
 * kube-apiserver serves it. `githubTokenEndpoint` answers GitHub Actions' ID token request
 * (`?audience=` with `Authorization: bearer <request token>`), so `hoop-gateway token --from
 * github-actions` can run exactly as in a workflow.
 */

export type CiIssuerKind = 'github' | 'gitlab' | 'kubernetes';

export interface CiIssuer {
  readonly issuer: string;
  /** The URL to set as ACTIONS_ID_TOKEN_REQUEST_URL (with its api-version query, as GitHub's has). */
  readonly githubRequestUrl: string;
  /** The bearer the GitHub token endpoint wants (ACTIONS_ID_TOKEN_REQUEST_TOKEN). */
  readonly githubRequestToken: string;
  /** Claims for the next GitHub token request answers (defaults to {@link githubClaims}). */
  githubJob: JWTPayload;
  /** Signs claims with defaults for iss, iat and exp (10 minutes). */
  sign(claims: JWTPayload): Promise<string>;
  close(): Promise<void>;
}

/** A GitHub Actions job's token claims (as token.actions.githubusercontent.com issues them). */
export function githubClaims(audience: string, extra: JWTPayload = {}): JWTPayload {
  const repository = (extra['repository'] as string | undefined) ?? 'acme/payments';
  const ref = (extra['ref'] as string | undefined) ?? 'refs/heads/main';
  return {
    aud: audience,
    sub: `repo:${repository}:ref:${ref}`,
    repository,
    repository_owner: repository.split('/')[0],
    repository_id: '4242',
    ref,
    ref_type: 'branch',
    sha: 'a'.repeat(40),
    workflow: 'deploy',
    job_workflow_ref: `${repository}/.github/workflows/deploy.yaml@${ref}`,
    event_name: 'push',
    actor: 'alice',
    run_id: '9876543210',
    run_number: '17',
    run_attempt: '1',
    runner_environment: 'github-hosted',
    ...extra,
  };
}

/** A GitLab CI job's `id_tokens` claims. */
export function gitlabClaims(audience: string, extra: JWTPayload = {}): JWTPayload {
  const project = (extra['project_path'] as string | undefined) ?? 'acme/payments';
  return {
    aud: audience,
    sub: `project_path:${project}:ref_type:branch:ref:main`,
    namespace_path: project.split('/')[0],
    project_path: project,
    project_id: '77',
    pipeline_id: '1234',
    pipeline_source: 'push',
    job_id: '5678',
    ref: 'main',
    ref_type: 'branch',
    ref_protected: 'true',
    user_login: 'alice',
    ...extra,
  };
}

/** A projected service-account token's claims, as kube-apiserver issues them. */
export function serviceAccountClaims(audience: string, namespace: string, name: string): JWTPayload {
  return {
    aud: [audience],
    sub: `system:serviceaccount:${namespace}:${name}`,
    'kubernetes.io': {
      namespace,
      serviceaccount: { name, uid: randomUUID() },
      pod: { name: `${name}-7d9c`, uid: randomUUID() },
    },
  };
}

export async function startCiIssuer(kind: CiIssuerKind, audience: string): Promise<CiIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const kid = randomUUID();
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const jwksPath = kind === 'kubernetes' ? '/openid/v1/jwks' : '/.well-known/jwks';
  const requestToken = `gh-request-${randomUUID()}`;
  let issuer = '';
  const state = { githubJob: githubClaims(audience) };

  const sign = (claims: JWTPayload): Promise<string> => signWith(privateKey, kid, issuer, claims);

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const json = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (url.pathname === '/.well-known/openid-configuration') {
      json(200, {
        issuer,
        jwks_uri: `${issuer}${jwksPath}`,
        response_types_supported: ['id_token'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
      });
    } else if (url.pathname === jwksPath) {
      json(200, { keys: [jwk] });
    } else if (url.pathname === '/_github/token') {
      if (req.headers.authorization !== `bearer ${requestToken}`)
        return json(401, { message: 'Bad credentials' });
      const aud = url.searchParams.get('audience') ?? 'https://github.com/acme';
      sign({ ...state.githubJob, aud }).then((value) => json(200, { count: 1, value }));
    } else {
      json(404, { message: 'not found' });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    githubRequestUrl: `${issuer}/_github/token?api-version=2.0`,
    githubRequestToken: requestToken,
    get githubJob() {
      return state.githubJob;
    },
    set githubJob(claims) {
      state.githubJob = claims;
    },
    sign,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function signWith(key: CryptoKey, kid: string, issuer: string, claims: JWTPayload): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: issuer, iat: now, nbf: now - 5, exp: now + 600, ...claims })
    .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
    .sign(key);
}
