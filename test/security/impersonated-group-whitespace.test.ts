/**
 * A group claim (or a subject) with surrounding whitespace must not become a `system:` group (or
 * user, or another agent) upstream.
 *
 * The gateway drops token groups that start with `system:` (system:masters is cluster-admin). But
 * Go's net/http, which kube-apiserver runs on, trims spaces and tabs around every header value:
 * `Impersonate-Group:  system:masters` (the claim " system:masters") arrives as
 * "system:masters". So the check must be made on the value the cluster will read, and a value the
 * cluster would read differently from the gateway must not be sent at all. The gateway refuses such
 * a token outright (401 naming the claim, src/authn/identity-value.ts); the header builder checks
 * every value again before sending and throws rather than send one, which these rows accept as
 * "nothing sent".
 * test/kube-apiserver-e2e/rbac.test.ts shows the same against a real kube-apiserver's audit log.
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { refuseImpersonation } from '../../gateway/pipeline/refuse-impersonation.ts';
import type { IdentityMapping } from '../../gateway/runtime.ts';
import { upstreamRequestHeaders } from '../../gateway/upstream/headers.ts';

const IDENTITY: IdentityMapping = { userPrefix: 'hoop:', groupPrefix: '', extraGroups: [] };

/** The groups sent upstream; empty when the header builder refused the identity as a whole. */
function groupsSent(groups: string[], identity = IDENTITY): string[] {
  const req = { headers: {}, rawHeaders: [] } as unknown as IncomingMessage;
  let headers: ReturnType<typeof upstreamRequestHeaders>;
  try {
    headers = upstreamRequestHeaders(
      req,
      { issuer: 'https://issuer.test', subject: 'agent-1', groups, claims: {} },
      identity,
      'Bearer gateway',
      { upgrade: false },
    );
  } catch {
    return [];
  }
  const value = headers['impersonate-group'];
  return value === undefined ? [] : Array.isArray(value) ? value.map(String) : [String(value)];
}

/** What Go's textproto makes of a header value: leading and trailing spaces and tabs removed. */
const asGoReadsIt = (value: string) => value.replace(/^[ \t]+|[ \t]+$/g, '');

describe('group claims that Go would read as system: groups', () => {
  it.each([
    ' system:masters',
    'system:masters ',
    '\tsystem:masters',
    'system:masters\t',
    '  system:masters  ',
    ' system:nodes',
  ])('%j is not forwarded as a group the cluster reads as system:', (claim) => {
    const sent = groupsSent(['ai-agents', claim]);
    expect(sent.map(asGoReadsIt).filter((g) => g.startsWith('system:'))).toEqual([]);
  });

  it('a group prefix of whitespace does not help either', () => {
    const sent = groupsSent(['system:masters'], { ...IDENTITY, groupPrefix: ' ' });
    expect(sent.map(asGoReadsIt).filter((g) => g.startsWith('system:'))).toEqual([]);
  });

  it('every group sent reads the same to Go as to the gateway', () => {
    const sent = groupsSent(['ai-agents', ' padded', 'trailing ', 'in side', 'tab\there', 'ok']);
    for (const group of sent) expect(asGoReadsIt(group)).toBe(group);
    // Without the hostile values, the ordinary ones are sent as they are.
    expect(groupsSent(['ai-agents', 'in side', 'ok'])).toEqual(['ai-agents', 'in side', 'ok']);
  });
});

describe('a subject that Go would read as a system: user', () => {
  it.each([' system:kube-controller-manager', '\tsystem:admin', 'system:admin'])(
    'subject %j with an empty user prefix is refused',
    async (subject) => {
      const stage = refuseImpersonation({ ...IDENTITY, userPrefix: '' });
      const ctx = {
        req: { headers: {} },
        caller: { issuer: 'https://issuer.test', subject, groups: [], claims: {} },
      } as never;
      let reached = false;
      // Awaited inside an async function, as every caller of a stage does: a stage may refuse by
      // throwing synchronously (gateway/request-context.ts: Handler).
      await expect(
        (async () =>
          stage(async () => {
            reached = true;
          })(ctx))(),
      ).rejects.toThrow(/system:|whitespace/);
      expect(reached).toBe(false);
    },
  );

  it('a subject with trailing whitespace is refused: upstream it would be another agent', async () => {
    const stage = refuseImpersonation(IDENTITY);
    const ctx = {
      req: { headers: {} },
      caller: { issuer: 'https://issuer.test', subject: 'agent-1 ', groups: [], claims: {} },
    } as never;
    await expect((async () => stage(async () => {})(ctx))()).rejects.toThrow(/whitespace|cannot be sent/);
  });
});
