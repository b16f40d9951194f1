/**
 * The impact preview a review carries: what the held call would do, computed by the gateway when
 * the review is created (gateway/approvals/impact/) and stored on the record as it was shown, so
 * every later reader — chat card, `reviews show`, an auditor — sees what the approver saw.
 *
 * Contract:
 * - it was computed as the agent (the gateway's upstream credential impersonating it), so it never
 *   holds anything the agent could not read; what the agent may not list is left out, and the
 *   preview is then not `complete`;
 * - every value is already masked with the caller's masking rules: nothing secret reaches Redis;
 * - it is bounded (gateway/approvals/impact/bounds.ts; at most 16 KiB of JSON): lists are cut and say so.
 */

/** Which question the preview answers, by the held call's verb. */
export type ImpactKind = 'delete' | 'change' | 'create' | 'stream';

/** One kind of object a delete would remove. */
export interface AffectedKind {
  /** The Kind (`Pod`), or the plural resource when the kind is unknown. */
  kind: string;
  /** The plural resource (`pods`), as policy conditions name it. */
  resource: string;
  count: number;
  /** The first names (at most a handful), sorted. */
  names: string[];
  /** True when `count` is a lower bound (the list had more pages than the preview read). */
  atLeast?: boolean;
}

/** One field a write would change, by JSON path (`spec.replicas`, `metadata.labels["app"]`). */
export interface FieldChange {
  path: string;
  op: 'changed' | 'added' | 'removed';
  /** Scalars as JSON text (masked values as the mask marker); objects and lists as `{…}`/`[…]`. */
  from?: string;
  to?: string;
}

/** A pod's facts that matter to a risk decision about exec, attach or port-forward. */
export interface PodFacts {
  images: string[];
  /** Names of containers that run privileged. */
  privileged: string[];
  /** Which host namespaces the pod shares (`network`, `pid`, `ipc`). */
  hostNamespaces: string[];
  serviceAccount?: string;
  node?: string;
  /** `Kind/name` of the pod's controller, if any. */
  owner?: string;
}

/** A created object, summarised. */
export interface CreatedObject {
  kind: string;
  name: string;
  namespace?: string;
  /** A few key fields, already masked: `replicas`, `images`, `keys`, `type`… */
  fields: Record<string, string>;
}

export interface ImpactPreview {
  kind: ImpactKind;
  /**
   * True only when the preview saw everything it set out to see: no kind refused, no list cut,
   * no error, within budget. Policy conditions on the preview (`autoApprove.deleteAtMost`)
   * require it.
   */
  complete: boolean;
  /** Why the preview is missing or incomplete, for people (`dry-run refused: …`, `budget of 2s exceeded`). */
  problems: string[];
  /** delete, deletecollection: what would go, by kind, most numerous first. */
  affected?: AffectedKind[];
  /** delete: how many kinds the agent may not list and so are left out (never named). */
  unlistable?: number;
  /** update, patch, apply, scale: the changed fields (the first ones; `changeCount` has them all). */
  changes?: FieldChange[];
  changeCount?: number;
  create?: CreatedObject;
  pod?: PodFacts;
  /** How long computing it took, in milliseconds. */
  tookMs: number;
}
