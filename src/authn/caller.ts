import type { JWTPayload } from 'jose';

/** A verified caller: who the agent is, as its OIDC issuer vouches. Knows nothing of HTTP. */
export interface Caller {
  issuer: string;
  subject: string;
  groups: string[];
  claims: JWTPayload;
}
