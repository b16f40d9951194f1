/**
 * The sandbox's request pipeline, in order: record the request (never the token), authenticate
 * (public paths such as /version are open unless a wrong token is presented; everything else
 * needs the bearer token, else 401), classify the path, then answer: non-resource paths, streams
 * (exec/attach/portforward, handed to sandbox/streams after the pod is found), or a resource
 * handler. Any thrown StatusError becomes the response. Upgrades: exec/attach/portforward, and
 * watches over WebSocket (streams/watch-websocket.ts); any other upgrade is a 400 Status.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type KubeStatus, kubeStatus } from '../../../../src/errors.ts';
import type { EksAuthenticator } from '../aws/eks-authenticator.ts';
import { notFound } from '../errors.ts';
import { handleNonResource, PUBLIC_PATHS, type ServerInfo } from '../handlers/non-resource.ts';
import { handleStreamUpgrade } from '../streams/index.ts';
import { serveWatchWebSocket } from '../streams/watch-websocket.ts';
import type { Cluster, HandlerContext } from './context.ts';
import { dispatchResource, STREAM_SUBRESOURCES } from './dispatch.ts';
import { type AuthorizationState, authorizationOf, type RecordedRequest, recordRequest } from './record.ts';
import { checkRefusals, type Refusal } from './refusals.ts';
import { sendError, sendJson, statusOf } from './respond.ts';
import { type ResourceRoute, routeRequest } from './route.ts';

export interface ServeDeps {
  cluster: Cluster;
  token: string;
  /** EKS mode: `k8s-aws-v1.` tokens verified through STS instead of the one token. */
  eks?: EksAuthenticator | undefined;
  requests: RecordedRequest[];
  info: ServerInfo;
  /** Test-only refusals standing in for RBAC (refusals.ts); mutated by tests, read per request. */
  refusals: Refusal[];
}

const unauthorized = (): KubeStatus => kubeStatus(401, 'Unauthorized', 'Unauthorized');

interface Admitted {
  url: URL;
  /** Undefined for non-resource paths. */
  route: ResourceRoute | undefined;
  path: string;
}

/** Records, authenticates and classifies (throwing NotFound for unknown resource paths). */
async function admit(deps: ServeDeps, req: IncomingMessage): Promise<Admitted | { refused: KubeStatus }> {
  // Concatenated rather than resolved against a base, so `//x/y` stays a path (and is refused).
  const url = new URL(`https://sandbox.invalid${req.url ?? '/'}`);
  let authorization: AuthorizationState;
  let user: string | undefined;
  if (deps.eks) {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    user = token ? (await deps.eks(token))?.username : undefined;
    authorization = !req.headers.authorization ? 'missing' : user ? 'valid' : 'invalid';
  } else {
    authorization = authorizationOf(req, deps.token);
  }
  const recorded = recordRequest(req, url, authorization);
  if (user) recorded.user = user;
  deps.requests.push(recorded);
  const open = PUBLIC_PATHS.has(url.pathname) && authorization !== 'invalid';
  if (authorization !== 'valid' && !open) return { refused: unauthorized() };
  const routed = routeRequest(req.method ?? 'GET', url.pathname, url.searchParams);
  if (routed.kind === 'resource') checkRefusals(deps.refusals, req, routed);
  return {
    url,
    route: routed.kind === 'resource' ? routed : undefined,
    path: routed.kind === 'other' ? routed.path : '',
  };
}

/** Finds the pod a stream request names (404 before any upgrade) and hands over the socket. */
function startStream(
  deps: ServeDeps,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  route: ResourceRoute,
  url: URL,
): void {
  const pod = deps.cluster.store.get('pods', route.namespace, route.name);
  if (!pod) throw notFound(route.type, route.name);
  const kind = route.subresource as 'exec' | 'attach' | 'portforward';
  const lookup = (resource: 'secrets' | 'configmaps', name: string, key: string): string | undefined => {
    const source = deps.cluster.store.get(resource, route.namespace, name);
    const data = source?.['data'];
    const value = typeof data === 'object' && data !== null ? Reflect.get(data, key) : undefined;
    if (typeof value !== 'string') return undefined;
    return resource === 'secrets' ? Buffer.from(value, 'base64').toString('utf8') : value;
  };
  handleStreamUpgrade(req, socket, head, {
    kind,
    namespace: route.namespace,
    pod,
    query: url.searchParams,
    lookup,
  });
}

export function createRequestHandler(deps: ServeDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void (async () => {
      try {
        const admitted = await admit(deps, req);
        if ('refused' in admitted) return sendJson(res, 401, admitted.refused);
        const { route, url, path } = admitted;
        if (!route) return handleNonResource(req, res, path, deps.info);
        if (route.type.resource === 'pods' && STREAM_SUBRESOURCES.has(route.subresource)) {
          return startStream(deps, req, req.socket, Buffer.alloc(0), route, url);
        }
        const ctx: HandlerContext = { req, res, route, query: url.searchParams, cluster: deps.cluster };
        await dispatchResource(ctx);
      } catch (error) {
        sendError(res, error);
      }
    })();
  };
}

/** Writes a Status as a raw HTTP response on an upgrade socket and closes it. */
function refuseSocket(socket: Duplex, status: KubeStatus): void {
  const body = JSON.stringify(status);
  const head = [
    `HTTP/1.1 ${status.code} ${STATUS_CODES[status.code] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
  ];
  socket.on('error', () => {});
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

/** A watch (of a type that serves watch) asked for over WebSocket, as kube-apiserver serves it. */
function isWebSocketWatch(req: IncomingMessage, route: ResourceRoute): boolean {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  return (
    upgrade === 'websocket' &&
    route.verb === 'watch' &&
    route.subresource === '' &&
    route.type.verbs.includes('watch')
  );
}

export function createUpgradeHandler(
  deps: ServeDeps,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  return (req, socket, head) => {
    void serveUpgrade(deps, req, socket, head);
  };
}

async function serveUpgrade(
  deps: ServeDeps,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): Promise<void> {
  try {
    const admitted = await admit(deps, req);
    if ('refused' in admitted) return refuseSocket(socket, admitted.refused);
    const { route, url } = admitted;
    if (route && isWebSocketWatch(req, route)) {
      const ctx = { req, route, query: url.searchParams, cluster: deps.cluster };
      return serveWatchWebSocket(ctx, req, socket, head);
    }
    if (route?.type.resource !== 'pods' || !STREAM_SUBRESOURCES.has(route.subresource)) {
      const message =
        'upgrade is only supported for pods/exec, pods/attach, pods/portforward and watches over WebSocket';
      return refuseSocket(socket, kubeStatus(400, 'BadRequest', message));
    }
    startStream(deps, req, socket, head, route, url);
  } catch (error) {
    refuseSocket(socket, statusOf(error).status);
  }
}
