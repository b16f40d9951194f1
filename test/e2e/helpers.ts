/**
 * Shared pieces of the end-to-end suite: raw HTTPS requests to the gateway (for
 * what kubectl never sends), and the assertions every forwarded request must satisfy upstream.
 *
 * Everything here is asynchronous: the gateway runs in the test process, so nothing may block
 * the event loop while a request is in flight.
 */
import { readFile } from 'node:fs/promises';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { RecordedRequest } from '@hoop-gateway/sandbox/server';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { runKubectl } from '../support/kubectl.ts';
import type { GatewayStack, Stack } from '../support/stack.ts';

export interface GatewayResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface GatewayRequest {
  method?: string;
  /** The request target exactly as sent (not normalised), e.g. `/clusters/sandbox/api/v1/pods`. */
  path: string;
  headers?: OutgoingHttpHeaders;
  /** Bearer token; omitted: no Authorization header (unless `headers` has one). */
  token?: string;
  body?: string;
}

function gatewayOptions(stack: GatewayStack, options: GatewayRequest) {
  const url = new URL(stack.gateway.url);
  return {
    host: url.hostname,
    port: url.port,
    method: options.method ?? 'GET',
    path: options.path,
    ca: stack.gateway.caPem,
    agent: false as const,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
  };
}

/** One raw HTTPS request to the gateway, trusting its CA; resolves with the whole answer. */
export function gatewayRequest(stack: GatewayStack, options: GatewayRequest): Promise<GatewayResponse> {
  return new Promise((resolve, reject) => {
    const req = request(gatewayOptions(stack, options), (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A streaming response read line by line while it is still open (watch, `logs?follow=true`). */
export interface OpenStream {
  req: ClientRequest;
  res: IncomingMessage;
  /** Complete lines received so far. */
  lines: string[];
  /** True once the response ended or the connection closed. */
  ended(): boolean;
  /** Resolves with the first line (already received or still to come) matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Opens a request whose response streams; resolves once the response headers arrived. */
export function openStream(stack: GatewayStack, options: GatewayRequest): Promise<OpenStream> {
  return new Promise((resolve, reject) => {
    const req = request(gatewayOptions(stack, options), (res) => {
      const lines: string[] = [];
      let partial = '';
      let done = false;
      const waiters = new Set<() => void>();
      const wake = () => {
        for (const waiter of [...waiters]) waiter();
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const parts = (partial + chunk).split('\n');
        partial = parts.pop() ?? '';
        lines.push(...parts);
        wake();
      });
      const finish = () => {
        done = true;
        wake();
      };
      res.on('end', finish);
      res.on('close', finish);
      res.on('error', () => {});
      resolve({
        req,
        res,
        lines,
        ended: () => done,
        waitForLine: (pattern, timeoutMs = 10_000) =>
          new Promise((found, fail) => {
            const check = () => {
              const line = lines.find((l) => pattern.test(l));
              if (line !== undefined) {
                cleanup();
                found(line);
              } else if (done) {
                cleanup();
                fail(new Error(`stream ended before a line matched ${pattern}:\n${lines.join('\n')}`));
              }
            };
            const timer = setTimeout(() => {
              cleanup();
              fail(new Error(`no line matched ${pattern} in ${timeoutMs} ms:\n${lines.join('\n')}`));
            }, timeoutMs);
            const cleanup = () => {
              clearTimeout(timer);
              waiters.delete(check);
            };
            waiters.add(check);
            check();
          }),
      });
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface KubeStatusBody {
  kind: string;
  apiVersion: string;
  status: string;
  reason: string;
  code: number;
  message: string;
}

/** Parses a response body that must be a Kubernetes Status with `code`. */
export function expectStatus(response: GatewayResponse, code: number, reason?: string): KubeStatusBody {
  expect(response.status, response.body).toBe(code);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const status = JSON.parse(response.body) as KubeStatusBody;
  expect(status).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code });
  if (reason) expect(status.reason).toBe(reason);
  expect(status.message.length).toBeGreaterThan(0);
  return status;
}

/** Runs `action` and returns it with the requests the sandbox received meanwhile. */
export async function sandboxRequestsDuring<T>(
  stack: Stack,
  action: () => Promise<T>,
): Promise<{ result: T; requests: RecordedRequest[] }> {
  const before = stack.sandbox.requests.length;
  const result = await action();
  return { result, requests: stack.sandbox.requests.slice(before) };
}

/**
 * Every request that reached the sandbox came as the agent (Impersonate-User `hoop:<clientId>`,
 * its groups) with the gateway's own upstream credential, never the agent's token.
 */
export function expectForwardedAs(
  requests: RecordedRequest[],
  clientId: string,
  groups: string[],
  agentToken?: string,
): void {
  expect(requests.length).toBeGreaterThan(0);
  for (const recorded of requests) {
    expect(recorded.headers.impersonateUser, `${recorded.method} ${recorded.path}`).toBe(`hoop:${clientId}`);
    expect(recorded.headers.impersonateGroups).toEqual(expect.arrayContaining(groups));
    // 'valid' = the sandbox's own token; the agent's token would be recorded as 'invalid'.
    expect(recorded.headers.authorization, `${recorded.method} ${recorded.path}`).toBe('valid');
  }
  if (agentToken) expect(JSON.stringify(requests)).not.toContain(agentToken);
}

/** The bearer token in a kubeconfig written by `stack.kubeconfigFor`. */
export async function tokenOf(kubeconfig: string): Promise<string> {
  const doc = parse(await readFile(kubeconfig, 'utf8')) as { users: Array<{ user: { token: string } }> };
  const token = doc.users[0]?.user.token;
  if (!token) throw new Error(`no token in ${kubeconfig}`);
  return token;
}

/**
 * Counts the sandbox's live watches: every sandbox watch subscribes to the store and unsubscribes
 * when its response closes, so the count is how a test sees the upstream end of a watch.
 */
export function countLiveWatches(stack: Stack): () => number {
  let live = 0;
  const store = stack.sandbox.store;
  const subscribe = store.subscribe.bind(store);
  store.subscribe = (listener) => {
    live++;
    const unsubscribe = subscribe(listener);
    let released = false;
    return () => {
      if (!released) {
        released = true;
        live--;
      }
      unsubscribe();
    };
  };
  return () => live;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `condition` every 25 ms until it holds; fails with `what` after `timeoutMs`. */
export async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

/**
 * Runs `kubectl get configmaps` as agent-1 through the stack and returns the HTTP versions its
 * requests reached the gateway with (which protocol ALPN settled on).
 */
export async function kubectlHttpVersions(stack: Stack): Promise<Set<string>> {
  const versions: string[] = [];
  const seen = (req: { httpVersion: string }) => versions.push(req.httpVersion);
  stack.gateway.server.prependListener('request', seen);
  try {
    const result = await runKubectl({
      kubeconfig: await stack.kubeconfigFor('agent-1'),
      args: ['get', 'configmaps', '-n', 'default', '-o', 'name'],
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('configmap/');
  } finally {
    stack.gateway.server.off('request', seen);
  }
  expect(versions.length).toBeGreaterThan(0);
  return new Set(versions);
}
