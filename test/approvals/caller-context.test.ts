import { describe, expect, it } from 'vitest';
import { ciContextOf } from '../../bot/model/ci-context.ts';
import { DEFAULT_CLAIM_ALLOWLIST, snapshotCaller } from '../../src/approvals/caller-snapshot.ts';
import type { Caller } from '../../src/authn/caller.ts';

/** A caller's context claims reach review records and recordings, and the card's CI context. */

describe('snapshotCaller with context claims', () => {
  it('keeps the context claims beside the allowlisted ones, never other claims', () => {
    const caller: Caller = {
      issuer: 'https://token.actions.githubusercontent.com',
      subject: 'gh:acme/app:refs/heads/main',
      groups: ['ci'],
      claims: { repository: 'acme/app', run_id: '42', secret_thing: 'x', environment: 'prod' },
      context: {
        repository: 'acme/app',
        run_id: '42',
        environment: 'prod',
        'kubernetes.io.namespace': 'agents',
      },
    };
    const snapshot = snapshotCaller(caller, DEFAULT_CLAIM_ALLOWLIST);
    expect(snapshot.claims).toEqual({
      repository: 'acme/app',
      run_id: '42',
      environment: 'prod',
      'kubernetes.io.namespace': 'agents',
    });
    expect(ciContextOf(snapshot)).toEqual({
      repository: 'acme/app',
      runUrl: 'https://github.com/acme/app/actions/runs/42',
    });
  });

  it('links runs of a GitHub Enterprise Server issuer to that server', () => {
    const snapshot = {
      issuer: 'https://github.example.com/_services/token',
      subject: 's',
      groups: [],
      claims: { repository: 'acme/app', run_id: '7' },
    };
    expect(ciContextOf(snapshot)?.runUrl).toBe('https://github.example.com/acme/app/actions/runs/7');
  });
});
