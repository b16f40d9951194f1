import type { Logger } from 'pino';
import type { Review } from '../src/approvals/review.types.ts';
import type { ReviewStore } from '../src/approvals/review-store.ts';
import type { DecisionKeyring } from '../src/approvals/signing/decision-keys.ts';
import type { Caller } from '../src/authn/caller.ts';
import type { ApprovalsSettings } from '../src/config/approvals.ts';
import type { CompiledMaskingPolicy } from '../src/masking/policy.ts';
import type { CompiledPolicy, ReviewSpec } from '../src/policy/policy.types.ts';
import type { ReviewProducers } from '../src/queues/review-producers.ts';
import type { RequestInfo } from '../src/request/request-info.types.ts';
import type { DecisionVerifier } from './approvals/decision-verifier.ts';
import type { RequestObservers } from './pipeline/request-log.ts';
import type { RecordingRuntime } from './recording/start.ts';
import type { UpstreamTarget } from './upstream/credentials/types.ts';

/** One cluster behind the gateway, reachable at `/clusters/<name>/…`. */
export interface GatewayCluster {
  name: string;
  target: UpstreamTarget;
  /** How long to wait for upstream response headers before answering 504. */
  upstreamTimeoutMs: number;
}

/** What the gateway needs from authentication: a verified caller for a bearer token, or a 401. */
export interface TokenAuthenticator {
  authenticate(token: string): Promise<Caller>;
}

/** The policy decision, as data. */
export interface PolicyDecision {
  action: 'allow' | 'deny' | 'review';
  rule: string;
  message: string;
  /** For `review`: the rule's review settings (approvers, timeout, grant, autoApprove). */
  review?: ReviewSpec;
}

export interface PolicyEngine {
  evaluate(input: { caller: Caller; cluster: string; info: RequestInfo }): PolicyDecision;
  /** The compiled policy, for listing a caller's rules (`kubectl auth can-i --list`). */
  compiled?: CompiledPolicy;
}

/** How an agent's identity is presented upstream (Impersonate-User / Impersonate-Group). */
export interface IdentityMapping {
  userPrefix: string;
  groupPrefix: string;
  extraGroups: string[];
}

/** Everything the request pipeline uses, built once at start-up (nothing here does I/O per request). */
export interface GatewayRuntime {
  clusters: Map<string, GatewayCluster>;
  authenticator: TokenAuthenticator;
  policy: PolicyEngine;
  identity: IdentityMapping;
  /** What to mask in responses, per caller group (src/masking/policy.ts). */
  masking: CompiledMaskingPolicy;
  logger: Logger;
  /** The approvals engine, when approvals are on (gateway/approvals/start.ts). */
  approvals?: ApprovalsRuntime;
  /** Session recording, when `recording:` is configured (gateway/recording/start.ts). */
  recording?: RecordingRuntime;
  /** In-flight requests, metrics and the audit sink, fed by the request-log stage. */
  observers?: RequestObservers;
}

/** What the review stage holds requests with: the store, the queue producers, the settings. */
export interface ApprovalsRuntime {
  store: ReviewStore;
  producers: ReviewProducers;
  settings: ApprovalsSettings;
  /** Checks the signed decisions of every record before the gateway acts on it. */
  verifier: DecisionVerifier;
  /** The keys decisions are verified with (the approvals API shows each decision's status). */
  keyring: DecisionKeyring;
  /** The key id the gateway signs decisions with (audit lines name it). */
  signerKeyId: string;
  /** How often a held request re-reads its record; default 2000 ms. */
  pollMs?: number;
  /** Told about reviews opened and decisions seen (metrics). */
  observer?: ReviewObserver;
}

/**
 * What the gateway sees of reviews: each one it opens, and each decision a held call of it meets
 * (approved: an approved call proceeds; rejected: a call meets the rejection; expired: the expire
 * worker, which runs exactly once per review across replicas, expired it).
 */
export interface ReviewObserver {
  created(review: Review): void;
  decided(review: Review, outcome: 'approved' | 'rejected' | 'expired'): void;
}
