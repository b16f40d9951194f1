/**
 * The console's HTTP API: every JSON shape the server (console/server/) sends or accepts, shared
 * with the browser code (console/web/), which imports nothing else from the repository. Plain
 * types only, no runtime code, no imports: this file must type-check under both the Node and the
 * DOM tsconfig. Changes are additive: a field is added, never renamed or removed.
 *
 * Routes (all on the console's own TLS listener; the API under /api/v1/, sign-in under /auth/):
 *
 * | method | path                                         | query / body                                   | answer                           |
 * | ------ | -------------------------------------------- | ---------------------------------------------- | -------------------------------- |
 * | GET    | /auth/login                                  | return=<path on this console, default />       | 302 to the issuer (code + PKCE)  |
 * | GET    | /auth/callback                               | code, state (from the issuer)                  | 302 to `return`, sets the cookie |
 * | POST   | /auth/logout                                 | header X-CSRF-Token                            | {@link LoggedOut}                |
 * | GET    | /api/v1/me                                   |                                                | {@link Me} (has the CSRF token)  |
 * | GET    | /api/v1/sessions                             | {@link SessionListQuery}                       | {@link SessionList}              |
 * | GET    | /api/v1/sessions/{id}                        |                                                | {@link SessionDetail}            |
 * | GET    | /api/v1/sessions/{id}/calls                  | offset (default 0), limit (1–500, default 100) | {@link CallPage}                 |
 * | GET    | /api/v1/sessions/{id}/calls/{rid}            |                                                | {@link CallDetail}               |
 * | GET    | /api/v1/sessions/{id}/streams/{stream}/cast  |                                                | asciicast v2 (application/x-asciicast) |
 * | GET    | /api/v1/sessions/{id}/live                   | Last-Event-ID header (resume)                  | text/event-stream, {@link LiveEventMap} |
 * | GET    | /api/v1/reviews                              | state (pending…cancelled), limit (1–200, 50)   | {@link ReviewList}               |
 * | GET    | /api/v1/reviews/{id}                         |                                                | {@link ReviewDetail}             |
 * | POST   | /api/v1/reviews/{id}/approve                 | {@link ApproveBody}, header X-CSRF-Token       | {@link ReviewDecision}           |
 * | POST   | /api/v1/reviews/{id}/reject                  | {@link RejectBody}, header X-CSRF-Token        | {@link ReviewDecision}           |
 * | GET    | /healthz                                     |                                                | `ok` (text/plain)                |
 * | GET    | anything else                                |                                                | the front end's index.html (SPA) |
 *
 * Errors are {@link ApiError} (a Kubernetes-style Status) with the HTTP status as `code`:
 * - 400 BadRequest: a malformed query or body (the message names the field);
 * - 401 Unauthorized: no session, or it expired and could not be refreshed: go to
 *   `/auth/login?return=<current path>`;
 * - 403 Forbidden: signed in but not a viewer (`reason` Forbidden, message says which groups may
 *   view), a missing/wrong CSRF token or foreign Origin on a POST, or a decision the rules refuse
 *   (not an approver for the rule, self-approval, window too long): the message is for people;
 * - 404 NotFound: no such session, call, stream or review;
 * - 405 MethodNotAllowed; 409 Conflict: the review was already decided (message says by whom);
 * - 410 Gone: the review expired; 429 TooManyRequests: too many live views open (retry later);
 * - 503 ServiceUnavailable: Redis or the archive cannot be read right now.
 *
 * The pages the console serves (SPA routes; chat cards and the CLI link to the first two forms):
 * `/sessions/{id}`, `/reviews/{id}`, `/sessions`, `/reviews`, `/sessions/{id}/streams/{stream}`.
 *
 * State-changing requests (every POST) need the header `X-CSRF-Token: <Me.csrfToken>` and, when
 * the browser sends one, an `Origin` equal to the console's public URL. The session cookie is
 * HttpOnly: the browser code never sees it and never needs to.
 */

// ---------------------------------------------------------------------------------------------
// Common

/** Any JSON value (bodies as the recorder stored them, already masked). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Epoch milliseconds. */
export type EpochMs = number;

/** Every error the API answers with. */
export interface ApiError {
  kind: 'Status';
  apiVersion: 'v1';
  status: 'Failure';
  code: number;
  reason: string;
  message: string;
}

// ---------------------------------------------------------------------------------------------
// Sign-in

/** `GET /api/v1/me`: who is signed in and what they may do. */
export interface Me {
  kind: 'Me';
  /** The approver id decisions are recorded under: the e-mail when the token has one, else the subject. */
  id: string;
  subject: string;
  issuer: string;
  email?: string;
  name?: string;
  groups: string[];
  /** True: may see sessions and reviews (a non-viewer gets 403 from every other route). */
  viewer: boolean;
  /** Send as `X-CSRF-Token` on every POST. Stable for the life of the console session. */
  csrfToken: string;
  /** When the console session ends for good (refresh no longer possible); sign in again after. */
  sessionExpiresAt: EpochMs;
  /** The console's public URL, e.g. `https://console.example.com`. */
  publicUrl: string;
}

/** `POST /auth/logout`. */
export interface LoggedOut {
  kind: 'LoggedOut';
  /** The issuer's end-session URL to send the browser to, when it has one. */
  endSessionUrl?: string;
}

// ---------------------------------------------------------------------------------------------
// Sessions

export type SessionOutcome = 'clean' | 'denied' | 'reviewed' | 'error';

/**
 * `GET /api/v1/sessions` query parameters (all optional). Times are epoch ms or ISO 8601.
 * Unknown parameters are a 400.
 */
export interface SessionListQuery {
  /** Substring of the agent's subject, case-insensitive. */
  agent?: string;
  /** Exact cluster name. */
  cluster?: string;
  /** Exact namespace: sessions with at least one call in it. */
  namespace?: string;
  /** Started at or after. */
  since?: string;
  /** Started at or before. */
  until?: string;
  outcome?: SessionOutcome;
  /** `true` / `false`. */
  hasExec?: string;
  /** `true` / `false`: at least one held (reviewed) call. */
  hadReview?: string;
  /** 1–200, default 50. */
  limit?: string;
  /** {@link SessionList.nextCursor} of the previous page. */
  cursor?: string;
}

/** One row of the sessions list. */
export interface SessionSummary {
  id: string;
  /** `open` while the gateway may still append to it. */
  state: 'open' | 'closed';
  /** True while open and written to recently (the live view has something to show). */
  live: boolean;
  /** `kubectl`: one kubectl invocation; `idle`: calls until an idle gap. */
  kind: 'kubectl' | 'idle';
  /** The agent's subject. */
  agent: string;
  issuer: string;
  cluster: string;
  /** The Kubectl-Command header of the first call, e.g. `kubectl get`. */
  command?: string;
  startedAt: EpochMs;
  lastAt: EpochMs;
  closedAt?: EpochMs;
  /** Recorded events so far. */
  events: number;
  calls: number;
  denials: number;
  reviews: number;
  errors: number;
  outcomes: SessionOutcome[];
  /** Namespaces the calls touched, when known. */
  namespaces?: string[];
  /** Whether an exec or attach was recorded, when known. */
  hasExec?: boolean;
  /** The one-paragraph summary the recorder wrote at close. */
  summary?: string;
}

export interface SessionList {
  kind: 'SessionList';
  /** Newest first. */
  items: SessionSummary[];
  /** Present when there may be more: pass as `cursor`. */
  nextCursor?: string;
}

/** The hash chain as checked now, over every stored event. */
export type ChainVerification =
  | {
      state: 'verified';
      events: number;
      finalHash: string;
      /** True when the count and final hash also match what the index recorded. */
      matchesIndex: boolean;
    }
  | {
      state: 'broken';
      /** The event (sequence number) where the chain breaks, when known. */
      atEvent?: number;
      /** The stored line (1-based) where it breaks. */
      line: number;
      reason: string;
    };

/** An exec or attach (or an unrecorded port-forward) in a session. */
export interface StreamSummary {
  /** Stream id within the session (the id of the request that opened it): names the cast. */
  stream: string;
  /** The call that opened it. */
  rid: string;
  kind: 'exec' | 'attach' | 'portforward';
  namespace?: string;
  pod?: string;
  container?: string;
  command?: string[];
  tty?: boolean;
  startedAt: EpochMs;
  durationMs?: number;
  exitCode?: number;
  /** False for port-forward and streams relayed byte for byte: no cast. */
  recorded: boolean;
  /** `/api/v1/sessions/{id}/streams/{stream}/cast` when recorded. */
  castUrl?: string;
}

/** `GET /api/v1/sessions/{id}`. */
export interface SessionDetail {
  kind: 'Session';
  session: SessionSummary;
  /** Where the events were read: the archive (closed) or Redis (live). */
  source: 'archive' | 'live';
  /** Calls in the timeline (page them with /calls). */
  callCount: number;
  streams: StreamSummary[];
  chain: ChainVerification;
  /** The caller as recorded at session start (no token, allowlisted claims only). */
  caller?: { subject: string; issuer: string; groups: string[] };
  userAgent?: string;
}

/** One call in a session's timeline: its request, decision and (once answered) response. */
export interface CallRow {
  /** Position in the timeline, 0-based. */
  index: number;
  /** Request id, unique within the session. */
  rid: string;
  /** Sequence number of the request event. */
  seq: number;
  at: EpochMs;
  method: string;
  /** The Kubernetes verb (`get`, `list`, `create`, `delete`…). */
  verb: string;
  resource?: string;
  subresource?: string;
  apiGroup?: string;
  namespace?: string;
  name?: string;
  /** The path below `/clusters/<name>`. */
  path: string;
  query?: string;
  /** The Kubectl-Command header. */
  command?: string;
  decision?: { action: 'allow' | 'deny' | 'review'; rule: string };
  review?: { id: string; state?: string };
  /** Absent until the response is recorded. */
  status?: number;
  durationMs?: number;
  /** The gateway's own refusal (policy, review…), when it answered itself. */
  refusal?: string;
  message?: string;
  /** The exec/attach stream this call opened. */
  stream?: string;
  /** Whether a body is recorded for the request / response (fetch with /calls/{rid}). */
  hasRequestBody: boolean;
  hasResponseBody: boolean;
}

/** `GET /api/v1/sessions/{id}/calls`. */
export interface CallPage {
  kind: 'CallPage';
  offset: number;
  /** Calls in the whole session right now. */
  total: number;
  items: CallRow[];
  /** Present when more follow. */
  nextOffset?: number;
}

/** A body as recorded: masked JSON, masked text, or only size and digest. */
export interface RecordedBody {
  contentType?: string;
  contentEncoding?: string;
  size: number;
  sha256: string;
  json?: Json;
  text?: string;
  truncated?: boolean;
  /** Why the content is not stored (`protobuf`, `binary`, `over-cap`, `unmaskable`…). */
  omitted?: string;
  /** How many values masking replaced. */
  masked?: number;
}

/** `GET /api/v1/sessions/{id}/calls/{rid}`. */
export interface CallDetail {
  kind: 'Call';
  call: CallRow;
  /** Request headers as recorded (credentials never recorded). */
  requestHeaders: Record<string, string | string[]>;
  requestBody?: RecordedBody;
  responseBody?: RecordedBody;
}

/**
 * `GET /api/v1/sessions/{id}/live`, Server-Sent Events. Event names and their `data` (JSON):
 * - `snapshot`: the session as it is when the stream starts;
 * - `call`: a call appeared or changed (its response arrived): upsert by `rid`;
 * - `stream`: an exec/attach opened or closed: upsert by `stream`;
 * - `output`: terminal output of a recorded stream (already masked);
 * - `end`: the session closed (or is gone); the server closes the stream after it.
 * Every event has an `id` (the Redis stream entry id): EventSource resumes with Last-Event-ID.
 * Comments (`: ping`) every 15 s keep proxies from closing the connection.
 */
export interface LiveEventMap {
  snapshot: SessionDetail;
  call: CallRow;
  stream: StreamSummary;
  output: LiveOutput;
  end: { state: 'closed' | 'gone'; session: string };
}

export interface LiveOutput {
  stream: string;
  /** `[seconds since stream open, 'o' | 'i', text]`, as in asciicast v2. */
  frames: Array<[number, 'o' | 'i', string]>;
}

// ---------------------------------------------------------------------------------------------
// Reviews

export type ReviewState = 'pending' | 'approved' | 'rejected' | 'expired' | 'cancelled';

export interface ReviewDecisionRecord {
  approver: string;
  action: 'approve' | 'reject';
  at: EpochMs;
  via: 'api' | 'slack' | 'teams' | 'auto' | 'break-glass' | 'console';
  reason?: string;
  windowSeconds?: number;
  /** Whether the decision's signature verifies under the console's trusted keys. */
  signature: { verified: boolean; keyId?: string; problem?: string };
}

export interface ReviewHistoryEvent {
  at: EpochMs;
  kind: 'forged-decision-refused' | 'break-glass' | 'decision-refused';
  by: string;
  detail?: string;
}

/** One review with the facts its chat card shows. */
export interface ReviewItem {
  id: string;
  state: ReviewState;
  requester: { subject: string; issuer: string; groups: string[]; owner?: string };
  target: {
    cluster: string;
    verb: string;
    /** `resource` or `resource/subresource`. */
    resource: string;
    apiGroup: string;
    namespace?: string;
    name?: string;
    path?: string;
    /** The Kubectl-Command header. */
    command?: string;
    /** The kubectl session id (Kubectl-Session header). */
    kubectlSession?: string;
  };
  rule: { name: string; message: string };
  /** The masked body summary, when there is a body worth showing. */
  body?: string;
  impact?: { headline: string; details: string[]; complete: boolean };
  deadline: EpochMs;
  createdAt: EpochMs;
  updatedAt: EpochMs;
  approvals: { count: number; needed: number };
  decisions: ReviewDecisionRecord[];
  decidedBy?: string;
  grant?: { kind: 'once' } | { kind: 'window'; windowSeconds: number; until: EpochMs };
  /** Window lengths (seconds) an approver may pick; empty when the rule grants single calls only. */
  windowChoices: number[];
  /** What the signed-in person may do with it now (the server checks again on POST). */
  you: { mayApprove: boolean; mayReject: boolean; why?: string };
  /** The recorded session this call belongs to, when the recorder knows it. */
  session?: string;
}

/** `GET /api/v1/reviews`: pending first (by deadline), then the rest newest first. */
export interface ReviewList {
  kind: 'ReviewList';
  items: ReviewItem[];
}

/** `GET /api/v1/reviews/{id}`. */
export interface ReviewDetail {
  kind: 'Review';
  review: ReviewItem;
  history: ReviewHistoryEvent[];
}

/** `POST /api/v1/reviews/{id}/approve`. `window`: seconds, or a duration like `15m`. */
export interface ApproveBody {
  reason?: string;
  window?: number | string;
}

/** `POST /api/v1/reviews/{id}/reject`: a reason is required (the agent reads it). */
export interface RejectBody {
  reason: string;
}

export interface ReviewDecision {
  kind: 'ReviewDecision';
  /** `applied`: this decision made it final; `counted`: more approvals are needed. */
  outcome: 'applied' | 'counted';
  review: ReviewItem;
}
