/**
 * Upstream "clusters" that are not the sandbox, for what the sandbox cannot show: TLS servers
 * that misbehave (never answer, answer garbage, die mid-response) and one that records the raw
 * request head the gateway sent, byte for byte. Each gets a kubeconfig the gateway can be
 * configured with (`startStack({ extraClusters })`).
 */
import { writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { renderKubeconfig } from '@hoop-gateway/sandbox/kubeconfig';
import { WebSocketServer } from 'ws';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/certificate-issuer.ts';

export interface UpstreamTls {
  caPem: string;
  certPem: string;
  keyPem: string;
}

/** A CA and a serving certificate for 127.0.0.1. */
export async function upstreamTls(): Promise<UpstreamTls> {
  const ca = await createCertificateAuthority('e2e fake upstreams');
  const serving = await issueServingCertificate(ca, ['127.0.0.1']);
  return { caPem: ca.certPem, certPem: serving.certPem, keyPem: serving.keyPem };
}

/** Listens on an ephemeral loopback port and resolves with it. */
export function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

/** Writes a kubeconfig for `https://127.0.0.1:<port>` to `dir` and returns its path. */
export async function upstreamKubeconfig(
  dir: string,
  name: string,
  port: number,
  caPem: string,
): Promise<string> {
  const path = join(dir, `${name}.kubeconfig`);
  const text = renderKubeconfig({
    server: `https://127.0.0.1:${port}`,
    caPem,
    token: 'gateway-upstream-token',
  });
  await writeFile(path, text, { mode: 0o600 });
  return path;
}

export interface CaptureUpstream {
  port: number;
  /** Raw request heads received (request line and headers), in order. */
  heads: string[];
  close(): Promise<void>;
}

/**
 * Records each request head and answers with a 400 Status (so upgrades are not accepted and
 * nothing else needs emulating).
 */
export async function startCaptureUpstream(material: UpstreamTls): Promise<CaptureUpstream> {
  const heads: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = tls.createServer({ cert: material.certPem, key: material.keyPem }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      const end = buffered.indexOf('\r\n\r\n');
      if (end === -1) return;
      heads.push(buffered.slice(0, end));
      buffered = '';
      const body = JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'capture upstream',
        reason: 'BadRequest',
        code: 400,
      });
      socket.end(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });
  });
  const port = await listen(server);
  return {
    port,
    heads,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The secret values the kube-apiserver stand-in serves; none may ever reach a gateway client. */
export const STAND_IN_VALUES = {
  /** Secret `data.password` (base64 on the wire). */
  secretData: 'stand-in-secret-data-9f8e7d',
  /** Secret `stringData.token` (plain on the wire). */
  secretString: 'stand-in-string-data-6c5b4a',
  /** A literal `DB_PASSWORD` env value in a pod spec. */
  podEnv: 'stand-in-pod-env-3a2b1c',
  /** A password printed in a pod log, cut in two WebSocket messages. */
  logPassword: 'stand-in-log-pw-0d9e8f',
  /** Sent in a binary message that is not JSON at all. */
  garbage: 'stand-in-garbage-7a6b5c',
} as const;

export interface KubeWebSocketUpstream {
  port: number;
  /** Requests received, in order: method, path with query, Upgrade and Accept headers. */
  requests: Array<{ method: string; url: string; upgrade: string; accept: string }>;
  close(): Promise<void>;
}

const b64 = (text: string): string => Buffer.from(text).toString('base64');

function standInSecret(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name },
    type: 'Opaque',
    data: { password: b64(STAND_IN_VALUES.secretData) },
    stringData: { token: STAND_IN_VALUES.secretString },
  };
}

const STAND_IN_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'app-0' },
  spec: {
    containers: [{ name: 'app', image: 'x', env: [{ name: 'DB_PASSWORD', value: STAND_IN_VALUES.podEnv }] }],
  },
};

interface StandInTarget {
  ns: string;
  resource: string;
  name: string;
  sub: string;
  watch: boolean;
}

function standInTarget(req: IncomingMessage): StandInTarget {
  const url = new URL(req.url ?? '/', 'https://stand-in.invalid');
  // /api/v1/namespaces/<ns>/<resource>[/<name>[/<sub>]]
  const parts = url.pathname.split('/');
  return {
    ns: parts[4] ?? '',
    resource: parts[5] ?? '',
    name: parts[6] ?? '',
    sub: parts[7] ?? '',
    watch: url.searchParams.has('watch'),
  };
}

/** The plain HTTP answer kube-apiserver gives to `target` (ignoring any Upgrade header). */
function plainAnswer(target: StandInTarget): { status: number; body: string } {
  const event = (type: string, object: unknown) => `${JSON.stringify({ type, object })}\n`;
  if (target.resource === 'secrets' && target.watch)
    return { status: 200, body: event('ADDED', standInSecret('a')) + event('ADDED', standInSecret('b')) };
  if (target.resource === 'secrets' && target.name)
    return { status: 200, body: JSON.stringify(standInSecret(target.name)) };
  if (target.resource === 'secrets') {
    const items = [standInSecret('a'), standInSecret('b')];
    return {
      status: 200,
      body: JSON.stringify({ apiVersion: 'v1', kind: 'SecretList', metadata: {}, items }),
    };
  }
  if (target.resource === 'pods' && target.name && !target.sub)
    return { status: 200, body: JSON.stringify(STAND_IN_POD) };
  const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound' };
  return { status: 404, body: JSON.stringify({ ...status, message: 'the stand-in serves no such thing' }) };
}

/**
 * A stand-in kube-apiserver for the transports the sandbox does not emulate (WebSocket logs,
 * binary watch messages, hostile answers). What it does depends on the namespace in the path:
 *
 * - `ws`: upgrades as kube-apiserver does. A watch (`?watch=…`) of `secrets` or `pods` gets 101,
 *   then one watch event per message: for secrets a text message (`{…}\n`, as kube-apiserver
 *   frames JSON) and a binary one. `pods/<name>/log` gets 101 and the log in chunks: binary
 *   messages (subprotocol `binary.k8s.io` or none) or base64 text messages
 *   (`base64.binary.k8s.io`), with a password cut across two messages. Connections stay open
 *   until the client closes.
 * - `http`: ignores the upgrade and answers as kube-apiserver does for a get or a list: 200 with
 *   the JSON Secret, SecretList, Pod, or a watch stream (two events, then the end).
 * - `garbage`: a WebSocket watch whose first message is binary non-JSON holding a value in plain.
 * - `raw101`: answers any upgrade, whatever the protocol, with 101 and then writes a watch
 *   event's raw bytes on the socket: an upstream the gateway cannot understand.
 *
 * Requests without an upgrade get the `http` answers.
 */
export async function startKubeWebSocketUpstream(material: UpstreamTls): Promise<KubeWebSocketUpstream> {
  const v = STAND_IN_VALUES;
  const requests: KubeWebSocketUpstream['requests'] = [];
  const sockets = new Set<net.Socket>();
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => offered.values().next().value ?? false,
  });
  const note = (req: IncomingMessage): StandInTarget => {
    const upgrade = String(req.headers.upgrade ?? '');
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      upgrade,
      accept: req.headers.accept ?? '',
    });
    return standInTarget(req);
  };
  const server = createHttpsServer({ cert: material.certPem, key: material.keyPem }, (req, res) => {
    const { status, body } = plainAnswer(note(req));
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(body);
  });
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (req: IncomingMessage, socket: net.Socket, head: Buffer) => {
    socket.on('error', () => {});
    const target = note(req);
    if (target.ns === 'http') {
      const { status, body } = plainAnswer(target);
      socket.end(
        `HTTP/1.1 ${status} ${status === 200 ? 'OK' : 'Not Found'}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
      return;
    }
    if (target.ns === 'raw101') {
      const upgrade = String(req.headers.upgrade ?? '');
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: ${upgrade}\r\n\r\n`);
      socket.write(`${JSON.stringify({ type: 'ADDED', object: standInSecret('raw') })}\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('error', () => {});
      const event = (type: string, object: unknown) => JSON.stringify({ type, object });
      if (target.ns === 'garbage') {
        ws.send(Buffer.from(`\u0000\u0001not json ${v.garbage}`), { binary: true });
        ws.send(`${event('ADDED', standInSecret('after-garbage'))}\n`);
      } else if (target.resource === 'secrets' && target.watch) {
        ws.send(`${event('ADDED', standInSecret('text-message'))}\n`);
        ws.send(Buffer.from(event('MODIFIED', standInSecret('binary-message'))), { binary: true });
      } else if (target.resource === 'pods' && target.watch) {
        ws.send(`${event('ADDED', STAND_IN_POD)}\n`);
      } else if (target.resource === 'pods' && target.sub === 'log') {
        const chunks = [
          'app: starting\napp: connecting with db_pass',
          `word=${v.logPassword.slice(0, 9)}`,
          `${v.logPassword.slice(9)} to postgres\napp: ready\n`,
        ];
        const base64 = ws.protocol === 'base64.binary.k8s.io';
        for (const chunk of chunks) {
          if (base64) ws.send(b64(chunk));
          else ws.send(Buffer.from(chunk), { binary: true });
        }
      } else ws.close(1011, 'the stand-in serves no such stream');
    });
  });
  const port = await listen(server);
  return {
    port,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
