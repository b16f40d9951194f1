import type { Caller } from '../authn/caller.ts';
import type { RequestInfo } from '../request/request-info.types.ts';
import type { MatchDocument } from './schema.ts';

/**
 * The data the policy engine produces and consumes. A loaded policy is a {@link CompiledPolicy}:
 * every glob already a RegExp, every list already a Set, so {@link Decision}s are cheap to make.
 */

export type RuleAction = 'allow' | 'deny' | 'review';
export type DefaultAction = 'allow' | 'deny';

/** What an approval grants (same shape as the approvals module's `GrantRule`). */
export type ReviewGrant = { kind: 'once' } | { kind: 'window'; maxSeconds: number };

/**
 * A `review` rule's settings, shaped so that the approvals module's `parseReviewRule` accepts it
 * as is (it fills in the defaults: one approval, 15 minutes, no self-approval, grant once).
 * Fields the policy left out stay absent.
 */
export interface ReviewSpec {
  name: string;
  message: string;
  approvers?: { users: string[]; groups: string[] };
  minApprovals?: number;
  timeoutSeconds?: number;
  allowSelfApproval?: boolean;
  grant?: ReviewGrant;
  /**
   * Callers in one of these groups pass without a person; the gateway records their review as
   * auto-approved. Not part of the approvals module's rule (parseReviewRule drops it).
   */
  autoApprove?: {
    groups: string[];
    /**
     * Plural resource → the most objects of it the call may delete, by the impact preview: when
     * the preview is complete and within every bound, the gateway approves (docs/policy.md).
     */
    deleteAtMost?: Record<string, number>;
  };
  /**
   * When the impact preview of a delete affects more than `whenAffectedMoreThan` objects (or is
   * not complete), `required` distinct approvals are needed instead of `minApprovals`.
   */
  escalate?: { whenAffectedMoreThan: number; required: number };
  /** Where the chat card goes (the approvals rule carries it through to the bot). */
  notify?: { slack?: { channel: string }; teams?: { channel: string } };
}

/** What a rule applies to: only resource requests, only non-resource requests, or both. */
export type RuleScope = 'resource' | 'nonResource' | 'any';

/**
 * A rule ready to match. `null` means "the rule does not constrain this" (the matcher was left
 * out, or it lists `*`).
 */
export interface CompiledRule {
  name: string;
  action: RuleAction;
  /** The policy author's explanation; '' when none. */
  message: string;
  scope: RuleScope;
  subjects: RegExp | null;
  groups: RegExp | null;
  clusters: RegExp | null;
  verbs: ReadonlySet<string> | null;
  apiGroups: RegExp | null;
  /** Matched against `resource` or `resource/subresource`. */
  resources: RegExp | null;
  /**
   * The `resources` entries that name a proxy subresource literally (`pods/proxy`): the only
   * entries that let an allow rule open a proxy (proxy-subresources.ts). Absent: none.
   */
  explicitProxy?: ReadonlySet<string>;
  /** `pattern` matches non-empty namespaces; `empty` is true when the list has a "" entry. */
  namespaces: { pattern: RegExp | null; empty: boolean } | null;
  names: RegExp | null;
  nonResourceURLs: RegExp | null;
  /** `match.claims`: each claim path with the globs its value must match; absent: any caller. */
  claims?: ReadonlyArray<{ path: string; pattern: RegExp }>;
  review?: ReviewSpec;
  /** The rule's `match` as written, for answering SelfSubjectRulesReview (`can-i --list`). */
  match?: MatchDocument;
  /** Exec/attach over SPDY, which cannot be recorded, may pass when this rule allows the call. */
  allowUnrecordedStreams?: boolean;
}

export interface CompiledPolicy {
  default: DefaultAction;
  builtinDiscovery: boolean;
  /** The policy's own rules, in file order. */
  rules: readonly CompiledRule[];
  /** The policy's rules followed by the built-in discovery rule when enabled. */
  evaluated: readonly CompiledRule[];
  /** Where the policy came from (a file name), for messages. */
  source?: string;
  /** Exec/attach over SPDY (kubectl < 1.30), which cannot be recorded, may pass when allowed. */
  allowUnrecordedStreams?: boolean;
  /**
   * What is valid but almost certainly not meant (a `resources:` entry no cluster serves), one
   * line each, `<field>: <message>` as errors read. `policy check` prints them; they never stop a
   * load.
   */
  warnings: readonly string[];
}

/** One request as the policy sees it. */
export interface PolicyInput {
  caller: Caller;
  /** The cluster name from the gateway's `/clusters/<name>/` prefix. */
  cluster: string;
  info: RequestInfo;
}

export interface MatchedRule {
  name: string;
  action: RuleAction;
}

/**
 * The outcome for one request, as data. `rule` names the deciding rule, `default` when none
 * matched, or `builtin:discovery`. `matched` lists every rule that matched, in policy order.
 */
export interface Decision {
  action: RuleAction;
  rule: string;
  /** For deny and review: what happened, why, and what to do next. For allow: the rule's message. */
  message: string;
  matched: MatchedRule[];
  /** Present when `action` is `review`. */
  review?: ReviewSpec;
}

/** The name the built-in discovery rule carries in decisions. */
export const BUILTIN_DISCOVERY_RULE = 'builtin:discovery';
/** The name a decision carries when no rule matched. */
export const DEFAULT_RULE = 'default';
