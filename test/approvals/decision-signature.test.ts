import { createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { windowScope } from '../../src/approvals/fingerprint.ts';
import type { Decision, Review } from '../../src/approvals/review.types.ts';
import { canonicalJson } from '../../src/approvals/signing/canonical-json.ts';
import {
  createDecisionSigner,
  createKeyring,
  type DecisionSigner,
  generateDecisionKeyPair,
  keyIdOf,
  type SignerRole,
} from '../../src/approvals/signing/decision-keys.ts';
import { checkProof, signDecision } from '../../src/approvals/signing/decision-proof.ts';
import { type HeldCall, verifyApproval } from '../../src/approvals/signing/verify-grant.ts';
import { fp, rule } from './helpers.ts';

/**
 * The signing primitives on their own: canonical bytes, signatures and key roles, and the
 * gateway's check of a record's approvals against the call it holds (every way Redis could lie).
 */
function keyPair(role: SignerRole) {
  const pair = generateDecisionKeyPair();
  const privateKey = createPrivateKey(pair.privatePem);
  return {
    signer: createDecisionSigner(privateKey, role),
    entry: { publicKey: createPublicKey(privateKey), role },
  };
}

const bot = keyPair('bot');
const gateway = keyPair('gateway');
const breakGlass = keyPair('break-glass');
const keyring = createKeyring([bot.entry, gateway.entry, breakGlass.entry]);
const NOW = 1_700_000_000_000;
const caller = { issuer: 'https://issuer.test', subject: 'agent-1' };

function held(overrides: Partial<HeldCall> = {}): HeldCall {
  return {
    fingerprint: fp('a'),
    caller,
    owner: 'alice',
    cluster: 'prod',
    rule: rule({ approvers: { users: ['bob', 'carol'], groups: [] } }),
    ...overrides,
  };
}

function signed(
  call: HeldCall,
  approver: string,
  signer: DecisionSigner = bot.signer,
  extra: Partial<Decision> = {},
): Decision {
  const decision: Decision = {
    approver,
    action: 'approve',
    at: NOW,
    via: signer.role === 'bot' ? 'slack' : signer.role === 'gateway' ? 'api' : 'break-glass',
    identity: { id: approver, groups: [] },
    ...extra,
  };
  const scope = windowScope(call.caller, call.cluster, call.rule.name);
  return signDecision(decision, { reviewId: 'r-abcdef', fingerprint: call.fingerprint, scope }, signer);
}

function review(decisions: Decision[]): Review {
  return { id: 'r-abcdef', fingerprint: fp('a'), decisions } as unknown as Review;
}

const check = (decisions: Decision[], call = held(), now = NOW + 1000) =>
  verifyApproval(review(decisions), call, keyring, { now, onceGrantMs: 600_000 });

describe('canonical JSON', () => {
  it('sorts keys, drops undefined properties, and refuses what it cannot serialise exactly', () => {
    expect(canonicalJson({ b: 1, a: ['x', { d: true, c: null }], e: undefined })).toBe(
      '{"a":["x",{"c":null,"d":true}],"b":1}',
    );
    expect(canonicalJson('é\n"')).toBe('"é\\n\\""');
    expect(() => canonicalJson({ a: 1.5 })).toThrow('not a safe integer');
    expect(() => canonicalJson([undefined])).toThrow('undefined in an array');
    expect(() => canonicalJson(new Date(0))).toThrow('cannot serialise');
  });
});

describe('decision signatures', () => {
  it('verify under the signing key only, and not once any signed field changes', () => {
    const decision = signed(held(), 'bob');
    expect(checkProof(decision, keyring)).toEqual({ ok: true, role: 'bot', keyId: bot.signer.keyId });
    expect(decision.proof?.keyId).toBe(keyIdOf(bot.entry.publicKey));
    for (const altered of [
      { ...decision, approver: 'carol' },
      { ...decision, at: decision.at + 1 },
      { ...decision, windowSeconds: 3600 },
      { ...decision, reason: 'added later' },
      { ...decision, identity: { id: 'bob', groups: ['admins'] } },
      { ...decision, proof: { ...decision.proof!, fingerprint: fp('b') } },
    ]) {
      expect(checkProof(altered, keyring)).toEqual({ ok: false, why: 'its signature does not verify' });
    }
    expect(checkProof(decision, createKeyring([gateway.entry]))).toMatchObject({ ok: false });
  });

  it('bind each key to the sources its role may sign', () => {
    expect(() =>
      signDecision(
        { approver: 'bob', action: 'approve', at: NOW, via: 'break-glass' },
        { reviewId: 'r-abcdef', fingerprint: fp('a'), scope: 's' },
        bot.signer,
      ),
    ).toThrow('a bot key may not sign a decision made via break-glass');
    const relabelled = { ...signed(held(), 'bob'), via: 'break-glass' as const };
    expect(checkProof(relabelled, keyring)).toMatchObject({
      ok: false,
      why: expect.stringContaining('a bot key signed a decision that claims to come from break-glass'),
    });
  });
});

describe('the gateway’s check of an approval', () => {
  it('accepts an eligible signed approval for this call, as a once grant', () => {
    expect(check([signed(held(), 'bob')])).toMatchObject({ ok: true, grant: 'once', approvers: ['bob'] });
  });

  it('uses its own rule: an approver added to the rule in Redis does not count', () => {
    expect(check([signed(held(), 'mallory')])).toMatchObject({
      ok: false,
      why: expect.stringContaining('mallory is not an approver'),
    });
  });

  it('refuses the owner and the requester, whatever key signed', () => {
    expect(check([signed(held(), 'alice')])).toMatchObject({ ok: false });
    expect(check([signed(held(), 'alice', breakGlass.signer)])).toMatchObject({
      ok: false,
      why: expect.stringContaining('alice requested this call'),
    });
    expect(check([signed(held(), 'agent-1', breakGlass.signer)])).toMatchObject({ ok: false });
  });

  it('counts distinct signed approvers toward minApprovals; break-glass stands alone', () => {
    const two = held({ rule: rule({ approvers: { users: ['bob', 'carol'], groups: [] }, minApprovals: 2 }) });
    expect(check([signed(two, 'bob')], two)).toMatchObject({
      ok: false,
      why: '1 of 2 required signed approvals',
    });
    expect(check([signed(two, 'bob'), signed(two, 'BOB')], two)).toMatchObject({ ok: false });
    expect(check([signed(two, 'bob'), signed(two, 'carol')], two)).toMatchObject({ ok: true, grant: 'once' });
    expect(check([signed(two, 'oncall', breakGlass.signer)], two)).toMatchObject({ ok: true });
  });

  it('honours auto approvals only when the gateway itself found the caller in an autoApprove group', () => {
    const auto = signed(held(), 'hoop-gateway:auto-approve', gateway.signer, { via: 'auto' });
    expect(check([auto])).toMatchObject({ ok: false, why: expect.stringContaining('autoApprove') });
    expect(check([auto], held({ autoApproval: 'trusted-ci' }))).toMatchObject({ ok: true });
  });

  it('bounds grants by the signed times: once within the claim time, windows by their length', () => {
    expect(check([signed(held(), 'bob')], held(), NOW + 600_001)).toMatchObject({
      ok: false,
      why: expect.stringContaining('too old'),
    });
    const windowRule = held({
      rule: rule({ approvers: { users: ['bob'], groups: [] }, grant: { kind: 'window', maxSeconds: 3600 } }),
    });
    const window = signed(windowRule, 'bob', bot.signer, { windowSeconds: 900 });
    expect(check([window], windowRule, NOW + 899_000)).toMatchObject({ ok: true, grant: 'window' });
    expect(check([window], windowRule, NOW + 900_000)).toMatchObject({
      ok: false,
      why: expect.stringContaining('window is over'),
    });
    // A window covers other requests of the same scope; a once approval does not.
    expect(check([window], { ...windowRule, fingerprint: fp('other') }, NOW + 1000)).toMatchObject({
      ok: true,
    });
    expect(check([signed(held(), 'bob')], held({ fingerprint: fp('other') }))).toMatchObject({
      ok: false,
      why: expect.stringContaining('different request'),
    });
    expect(check([signed(held(), 'bob', bot.signer, { at: NOW + 3_600_000 })])).toMatchObject({
      ok: false,
      why: expect.stringContaining('future'),
    });
  });

  it('refuses an approval signed for another requester, cluster or rule', () => {
    expect(check([signed(held({ cluster: 'staging' }), 'bob')])).toMatchObject({
      ok: false,
      why: expect.stringContaining('different requester, cluster or rule'),
    });
  });
});
