import type { Caller } from '../../src/authn/caller.ts';
import { headerValue } from '../../src/authn/identity-value.ts';
import { badGateway, gatewayTimeout } from '../../src/errors.ts';
import type { GatewayCluster, IdentityMapping } from '../runtime.ts';
import { impersonatedIdentity } from './impersonated-identity.ts';
import { openUpstreamRequest, upstreamPath } from './upstream-request.ts';

/** Longest answer read: review objects are a few KiB; a rules list for a big RBAC setup, more. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

/**
 * Asks the cluster a question of its own as the impersonated agent: POSTs a JSON object (a
 * SelfSubjectAccessReview or SelfSubjectRulesReview the gateway built) to `path` with the
 * gateway's credential and the agent's Impersonate-* headers, and resolves to the parsed answer
 * when the cluster creates it (2xx). Anything else is a StatusError for the agent: 504 when the
 * cluster does not answer in the cluster's upstream timeout, 502 otherwise, naming the status.
 */
export async function askCluster(
  cluster: GatewayCluster,
  caller: Caller,
  identity: IdentityMapping,
  path: string,
  object: unknown,
): Promise<Record<string, unknown>> {
  const body = Buffer.from(JSON.stringify(object));
  const { user, groups } = impersonatedIdentity(caller, identity);
  const authorization = await cluster.target.authorization();
  const headers: Record<string, string | string[]> = {
    'content-type': 'application/json',
    accept: 'application/json',
    'content-length': String(body.length),
    'impersonate-user': headerValue(user),
  };
  if (groups.length > 0) headers['impersonate-group'] = groups.map(headerValue);
  if (authorization) headers['authorization'] = authorization;
  const what = path.split('/').at(-1);
  return new Promise((resolve, reject) => {
    const req = openUpstreamRequest(cluster, 'POST', upstreamPath(cluster, path, ''), headers);
    req.setTimeout(cluster.upstreamTimeoutMs, () => {
      req.destroy();
      reject(gatewayTimeout(`cluster "${cluster.name}" did not answer the ${what} in time; try again`));
    });
    req.on('error', (error) =>
      reject(badGateway(`cannot ask cluster "${cluster.name}" (${what}): ${error.message}; try again`)),
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) res.destroy(new Error('answer too large'));
        else chunks.push(chunk);
      });
      res.on('error', (error) =>
        reject(badGateway(`cluster "${cluster.name}" answer broke off: ${error.message}`)),
      );
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        let parsed: unknown;
        try {
          parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          parsed = undefined;
        }
        if (status < 200 || status > 299 || typeof parsed !== 'object' || parsed === null) {
          const said = (parsed as { message?: unknown } | undefined)?.message;
          reject(
            badGateway(
              `cluster "${cluster.name}" answered the ${what} with ${status}${typeof said === 'string' ? `: ${said}` : ''}`,
            ),
          );
          return;
        }
        resolve(parsed as Record<string, unknown>);
      });
    });
    req.end(body);
  });
}
