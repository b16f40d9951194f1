import { randomBytes } from 'node:crypto';
import type { Caller } from '../../src/authn/caller.ts';
import { sha256Hex } from '../../src/recording/hash-chain.ts';

/**
 * Which session a request belongs to.
 *
 * - kubectl sends `Kubectl-Session` (a UUID per invocation) on every request: all requests of one
 *   kubectl command are one session.
 * - Any other client: one caller's requests to one cluster until an idle gap (the session closes
 *   when the gap passes; the next request opens a new one).
 *
 * The session key folds in the caller's issuer and subject and the cluster, so a client cannot
 * join someone else's session by replaying their `Kubectl-Session` value. The key is what Redis
 * maps to the current session id (session-store.ts), shared by every replica.
 *
 * Session ids are short and typable: `s-` and ten characters of lowercase Crockford base32
 * (50 random bits). Request ids (`r-…`) tie a request to its response and stream events.
 */

export interface SessionIdentity {
  /** Hex digest naming the mapping key; stable for one invocation or one caller+cluster. */
  key: string;
  kind: 'kubectl' | 'idle';
  /** The Kubectl-Session value, when the client sent a usable one. */
  kubectlSession?: string;
  /** The Kubectl-Command value (e.g. `kubectl get`), when sent. */
  command?: string;
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(bytes: Uint8Array, length: number): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < length) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/**
 * Random bytes for ids, drawn from a pool filled 4 KiB at a time: one `randomBytes` call per
 * request id showed in the recording gateway's profile, and the pool makes it one per ~800.
 */
let pool = Buffer.alloc(0);
let poolAt = 0;

function random(length: number): Uint8Array {
  if (poolAt + length > pool.length) {
    pool = randomBytes(4096);
    poolAt = 0;
  }
  const bytes = pool.subarray(poolAt, poolAt + length);
  poolAt += length;
  return bytes;
}

/** A new session id, e.g. `s-7k2m9xq4ad`. */
export function newSessionId(): string {
  return `s-${base32(random(7), 10)}`;
}

/** A new request id, e.g. `r-3fq8z1wy`. */
export function newRequestId(): string {
  return `r-${base32(random(5), 8)}`;
}

/** True for something shaped like a session id (CLI and bot input checks). */
export function isSessionId(text: string): boolean {
  return /^s-[0-9a-hjkmnp-tv-z]{10}$/.test(text);
}

/** Kubectl-Session is a UUID; anything else is ignored rather than trusted as a key. */
const KUBECTL_SESSION = /^[A-Za-z0-9-]{8,64}$/;

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** The session a request belongs to, from its caller, cluster and kubectl headers. */
export function sessionIdentity(
  caller: Pick<Caller, 'issuer' | 'subject'>,
  cluster: string,
  headers: Record<string, string | string[] | undefined>,
): SessionIdentity {
  const kubectlSession = single(headers['kubectl-session']);
  const command = single(headers['kubectl-command'])?.slice(0, 200);
  const base = `${caller.issuer}\n${caller.subject}\n${cluster}`;
  if (kubectlSession && KUBECTL_SESSION.test(kubectlSession)) {
    const identity: SessionIdentity = {
      key: sha256Hex(`kubectl\n${base}\n${kubectlSession}`).slice(0, 40),
      kind: 'kubectl',
      kubectlSession,
    };
    if (command) identity.command = command;
    return identity;
  }
  const identity: SessionIdentity = { key: sha256Hex(`idle\n${base}`).slice(0, 40), kind: 'idle' };
  if (command) identity.command = command;
  return identity;
}
