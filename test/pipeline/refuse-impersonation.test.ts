import { describe, expect, it } from 'vitest';
import { refuseImpersonation } from '../../gateway/pipeline/refuse-impersonation.ts';
import type { IdentityMapping } from '../../gateway/runtime.ts';
import { runStage } from '../support/run-stage.ts';
import { caller } from '../support/stage-fixtures.ts';

/**
 * refuseImpersonation promises: every `Impersonate-*` header (User, Group, Uid, Extra-*) is a
 * 403 naming the header, never silently stripped; an agent whose upstream user name
 * (`userPrefix` + subject) would start with `system:` is a 403 too; anything else passes as is.
 */

const IDENTITY: IdentityMapping = { userPrefix: 'agent:', groupPrefix: 'agent:', extraGroups: [] };

const headers = [
  { header: 'Impersonate-User', value: 'admin' },
  { header: 'Impersonate-Group', value: 'system:masters' },
  { header: 'Impersonate-Uid', value: '1234' },
  { header: 'Impersonate-Extra-Scopes', value: 'view' },
  { header: 'Impersonate-Extra-acme.com%2Fproject', value: 'x' },
  { header: 'IMPERSONATE-USER', value: 'admin' },
];

describe('refuseImpersonation refuses each Impersonate-* header', () => {
  it.each(headers)('$header → 403 naming it, next not called', async ({ header, value }) => {
    const run = await runStage(refuseImpersonation(IDENTITY), {
      headers: { [header]: value },
      ctx: { caller: caller() },
    });
    expect(run.next.calls).toBe(0);
    expect(run.status).toBe(403);
    expect(run.kubeStatus).toMatchObject({ kind: 'Status', code: 403, reason: 'Forbidden' });
    expect(run.kubeStatus?.message).toContain(`the "${header.toLowerCase()}" header is not allowed`);
    expect(run.kubeStatus?.message).toContain('Remove --as/--as-group');
    expect(run.ctx.refusal).toBe('caller impersonation');
  });
});

const identities = [
  {
    name: 'empty prefix, system: subject',
    userPrefix: '',
    subject: 'system:kube-controller-manager',
    refused: true,
  },
  {
    name: 'empty prefix, system:serviceaccount subject',
    userPrefix: '',
    subject: 'system:serviceaccount:kube-system:x',
    refused: true,
  },
  { name: 'a system: prefix, any subject', userPrefix: 'system:', subject: 'agent-1', refused: true },
  {
    name: 'a prefix in front of a system: subject',
    userPrefix: 'agent:',
    subject: 'system:admin',
    refused: false,
  },
  { name: 'empty prefix, ordinary subject', userPrefix: '', subject: 'agent-1', refused: false },
  {
    name: 'empty prefix, subject merely containing system:',
    userPrefix: '',
    subject: 'my-system:x',
    refused: false,
  },
];

describe('refuseImpersonation and the reserved system: user names', () => {
  it.each(identities)('$name → refused: $refused', async ({ userPrefix, subject, refused }) => {
    const run = await runStage(refuseImpersonation({ ...IDENTITY, userPrefix }), {
      ctx: { caller: caller({ subject }) },
    });
    if (refused) {
      expect(run.next.calls).toBe(0);
      expect(run.status).toBe(403);
      expect(run.kubeStatus?.message).toMatch(/would start with "system:".*identity\.userPrefix/);
      expect(run.ctx.refusal).toBe('system user');
    } else {
      expect(run.thrown).toBeUndefined();
      expect(run.next.calls).toBe(1);
      expect(run.status).toBe(200);
    }
  });
});

describe('refuseImpersonation lets other requests through', () => {
  it.each<{ name: string; headers: Record<string, string> }>([
    { name: 'no special headers', headers: {} },
    {
      name: 'headers that only resemble impersonation',
      headers: { 'x-impersonate-user': 'a', impersonate: 'b' },
    },
    { name: 'kubectl’s own headers', headers: { 'kubectl-command': 'kubectl get', 'kubectl-session': 's1' } },
  ])('$name → next, context unchanged', async (row) => {
    const run = await runStage(refuseImpersonation(IDENTITY), {
      headers: row.headers,
      ctx: { caller: caller() },
    });
    expect(run.next.calls).toBe(1);
    expect(run.next.ctx?.refusal).toBeUndefined();
    expect(run.next.ctx?.caller?.subject).toBe('agent-1');
  });
});
