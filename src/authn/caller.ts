import type { JWTPayload } from 'jose';

/** A verified caller: who the agent is, as its OIDC issuer vouches. Knows nothing of HTTP. */
export interface Caller {
  issuer: string;
  subject: string;
  groups: string[];
  claims: JWTPayload;
  /**
   * The issuer's `contextClaims` this token carries, by the configured (dotted) name, as text:
   * where a CI job runs (repository, ref, workflow, run_id…). Shown to approvers and written to
   * logs and recordings; absent when the issuer keeps no context.
   */
  context?: Readonly<Record<string, string>>;
}
