/**
 * Upstream "clusters" that are not the sandbox, for what the sandbox cannot show: TLS servers
 * that misbehave (never answer, answer garbage, die mid-response) and one that records the raw
 * request head the gateway sent, byte for byte. Each gets a kubeconfig the gateway can be
 * configured with (`startStack({ extraClusters })`).
 */
import { writeFile } from 'node:fs/promises';
import type net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import { renderKubeconfig } from '@hoop-gateway/sandbox/kubeconfig';
import { createCertificateAuthority, issueServingCertificate } from '../../src/tls/local-ca.ts';

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
