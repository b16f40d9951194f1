import { verify } from 'node:crypto';
import type { Decision, DecisionProof } from '../review.types.ts';
import { canonicalJson } from './canonical-json.ts';
import { type DecisionKeyring, type DecisionSigner, ROLE_VIAS, type SignerRole } from './decision-keys.ts';

/**
 * Signing one decision and checking its signature.
 *
 * What is signed, as canonical JSON (canonical-json.ts): a version and a domain tag (so these
 * bytes can never be mistaken for anything else the key might sign), the review id, the request
 * fingerprint and the window scope of the held request, the decision (approve or reject), the
 * approver's identity as the deciding component authenticated it (id, groups, issuer, subject,
 * e-mail), the source (`via`), the time, the window length (0 = once) and the reason. Everything an
 * attacker with Redis access would want to change is in there; the signature and key id travel
 * beside it in the record's {@link DecisionProof}.
 */

/** The binding of a decision to a request, fixed by the deciding component when it signs. */
export interface ProofBinding {
  reviewId: string;
  fingerprint: string;
  /** fingerprint.ts `windowScope` of the requester, cluster and rule. */
  scope: string;
}

/** The exact bytes signed for `decision` bound to `binding`. */
export function signedBytes(decision: Decision, binding: ProofBinding): string {
  return canonicalJson({
    v: 1,
    kind: 'hoop-gateway/decision',
    reviewId: binding.reviewId,
    fingerprint: binding.fingerprint,
    scope: binding.scope,
    action: decision.action,
    approver: decision.approver,
    identity: decision.identity
      ? {
          id: decision.identity.id,
          groups: [...decision.identity.groups],
          issuer: decision.identity.issuer,
          subject: decision.identity.subject,
          email: decision.identity.email,
        }
      : undefined,
    via: decision.via,
    at: decision.at,
    windowSeconds: decision.windowSeconds ?? 0,
    reason: decision.reason ?? '',
  });
}

/** `decision` with its proof; throws if the signer's role may not sign this source. */
export function signDecision(decision: Decision, binding: ProofBinding, signer: DecisionSigner): Decision {
  if (!ROLE_VIAS[signer.role].includes(decision.via)) {
    throw new TypeError(`a ${signer.role} key may not sign a decision made via ${decision.via}`);
  }
  const proof: DecisionProof = {
    v: 1,
    reviewId: binding.reviewId,
    fingerprint: binding.fingerprint,
    scope: binding.scope,
    keyId: signer.keyId,
    sig: signer.sign(signedBytes(decision, binding)),
  };
  return { ...decision, proof };
}

export type ProofCheck = { ok: true; role: SignerRole; keyId: string } | { ok: false; why: string };

/**
 * Whether `decision` carries a signature that verifies under a key in `keyring` whose role may
 * make decisions of its source. Says nothing yet about which request it was for: the caller
 * compares `decision.proof`'s binding with the request it holds.
 */
export function checkProof(decision: Decision, keyring: DecisionKeyring): ProofCheck {
  const proof = decision.proof;
  if (!proof || typeof proof !== 'object') return { ok: false, why: 'it carries no signature' };
  if (proof.v !== 1 || typeof proof.sig !== 'string' || typeof proof.keyId !== 'string') {
    return { ok: false, why: 'its signature is malformed' };
  }
  const key = keyring.get(proof.keyId);
  if (!key)
    return {
      ok: false,
      why: `it is signed with key ${JSON.stringify(proof.keyId.slice(0, 40))}, which this gateway does not trust`,
    };
  if (!ROLE_VIAS[key.role].includes(decision.via)) {
    return {
      ok: false,
      why: `a ${key.role} key signed a decision that claims to come from ${String(decision.via).slice(0, 20)}`,
    };
  }
  let bytes: string;
  try {
    bytes = signedBytes(decision, proof);
  } catch {
    return { ok: false, why: 'its fields are malformed' };
  }
  const valid = verify(null, Buffer.from(bytes, 'utf8'), key.publicKey, Buffer.from(proof.sig, 'base64url'));
  return valid
    ? { ok: true, role: key.role, keyId: proof.keyId }
    : { ok: false, why: 'its signature does not verify' };
}
