import { describe, expect, it } from 'vitest';
import { callerFromClaims } from '../../gateway/authn/caller-claims.ts';
import { claimAt } from '../../src/authn/claim-path.ts';
import { compileClaimTemplate, renderClaimTemplate } from '../../src/authn/claim-template.ts';
import { issuerConfigSchema, resolveIssuerConfig } from '../../src/authn/issuer-config.ts';
import { StatusError } from '../../src/errors.ts';

/** Claims → identity for CI and service-account tokens: templates, dotted paths, context. */

const github = {
  iss: 'https://token.actions.githubusercontent.com',
  sub: 'repo:acme/app:ref:refs/heads/main',
  repository: 'acme/app',
  repository_owner: 'acme',
  ref: 'refs/heads/main',
  workflow: 'deploy',
  run_id: '123456',
  run_attempt: 1,
};

const serviceAccount = {
  iss: 'https://kubernetes.default.svc',
  sub: 'system:serviceaccount:agents:runner',
  'kubernetes.io': { namespace: 'agents', serviceaccount: { name: 'runner', uid: 'u-1' } },
};

function resolved(extra: Record<string, unknown>) {
  return resolveIssuerConfig(
    issuerConfigSchema.parse({
      issuer: 'https://token.actions.githubusercontent.com',
      audience: 'gw',
      ...extra,
    }),
  );
}

function failure(run: () => unknown): StatusError {
  try {
    run();
  } catch (error) {
    if (error instanceof StatusError) return error;
    throw error;
  }
  throw new Error('expected a StatusError');
}

describe('claimAt', () => {
  it('reads plain and nested claims, keys with dots included', () => {
    expect(claimAt(github, 'repository')).toBe('acme/app');
    expect(claimAt(serviceAccount, 'kubernetes.io.namespace')).toBe('agents');
    expect(claimAt(serviceAccount, 'kubernetes.io.serviceaccount.name')).toBe('runner');
    expect(claimAt(serviceAccount, 'kubernetes.io.pod.name')).toBeUndefined();
    expect(claimAt({ 'a.b': 1, a: { b: 2 } }, 'a.b')).toBe(1);
    expect(claimAt({ a: [1] }, 'a.0')).toBeUndefined();
  });
});

describe('claim templates', () => {
  it('renders literal text and claims', () => {
    const template = compileClaimTemplate('gh:{{repository}}:{{ ref }}');
    if ('problem' in template) throw new Error(template.problem);
    expect(renderClaimTemplate(template, github)).toEqual({ value: 'gh:acme/app:refs/heads/main' });
    expect(renderClaimTemplate(template, { repository: 'x' })).toEqual({ missing: 'ref' });
    const fixed = compileClaimTemplate('ci');
    expect('problem' in fixed ? fixed.problem : renderClaimTemplate(fixed, {})).toEqual({ value: 'ci' });
  });

  it.each([
    ['  ', /is empty/],
    ['{{repository', /without a closing/],
    ['a}}b', /without a "\{\{"/],
    ['{{ }}', /names no claim/],
  ])('refuses %s', (source, problem) => {
    const compiled = compileClaimTemplate(source);
    expect('problem' in compiled && compiled.problem).toMatch(problem);
  });

  it('refuses a malformed template or username beside subjectClaim in the config', () => {
    const bad = issuerConfigSchema.safeParse({ issuer: 'https://i.example', audience: 'a', username: 'x{{' });
    expect(bad.error?.issues[0]?.message).toMatch(/claim template/);
    const both = issuerConfigSchema.safeParse({
      issuer: 'https://i.example',
      audience: 'a',
      username: '{{sub}}',
      subjectClaim: 'email',
    });
    expect(both.error?.issues[0]?.message).toMatch(/not both/);
  });
});

describe('callerFromClaims with templates', () => {
  it('builds the user name, groups and context of a GitHub Actions job', () => {
    const config = resolved({
      username: 'gh:{{repository}}:{{ref}}',
      groups: ['gh:{{repository_owner}}', 'env:{{environment}}'],
      contextClaims: ['repository', 'ref', 'workflow', 'run_id', 'run_attempt', 'environment'],
    });
    const caller = callerFromClaims(github, config);
    expect(caller.subject).toBe('gh:acme/app:refs/heads/main');
    // env:{{environment}} is dropped: this job has no environment.
    expect(caller.groups).toEqual(['gh:acme']);
    expect(caller.context).toEqual({
      repository: 'acme/app',
      ref: 'refs/heads/main',
      workflow: 'deploy',
      run_id: '123456',
      run_attempt: '1',
    });
    const withEnvironment = callerFromClaims({ ...github, environment: 'prod' }, config);
    expect(withEnvironment.groups).toEqual(['gh:acme', 'env:prod']);
  });

  it('refuses a token missing a claim the username needs, naming it', () => {
    const config = resolved({ username: 'gh:{{repository}}:{{environment}}' });
    const error = failure(() => callerFromClaims(github, config));
    expect(error.code).toBe(401);
    expect(error.message).toMatch(/no "environment" claim/);
  });

  it('maps a Kubernetes service-account token through dotted paths', () => {
    const config = resolved({
      username: 'sa:{{kubernetes.io.namespace}}:{{kubernetes.io.serviceaccount.name}}',
      groups: ['sa-ns:{{kubernetes.io.namespace}}'],
      contextClaims: ['kubernetes.io.namespace'],
    });
    const caller = callerFromClaims(serviceAccount, config);
    expect(caller.subject).toBe('sa:agents:runner');
    expect(caller.groups).toEqual(['sa-ns:agents']);
    expect(caller.context).toEqual({ 'kubernetes.io.namespace': 'agents' });
  });

  it('refuses rendered names the cluster would read differently', () => {
    const config = resolved({ username: 'gh:{{repository}}', groups: ['team:{{team}}'] });
    expect(failure(() => callerFromClaims({ ...github, repository: 'a\r\nb' }, config)).code).toBe(401);
    expect(failure(() => callerFromClaims({ ...github, team: 'x ' }, config)).message).toMatch(/whitespace/);
  });

  it('keeps the claim subject and groups when no template is configured', () => {
    const caller = callerFromClaims({ ...github, groups: ['ci'] }, resolved({}));
    expect(caller.subject).toBe(github.sub);
    expect(caller.groups).toEqual(['ci']);
    expect(caller.context).toBeUndefined();
  });
});
