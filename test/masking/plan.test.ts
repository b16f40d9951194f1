import { describe, expect, it } from 'vitest';
import { planMasking, unmaskedSecretsRule, upstreamAcceptFor } from '../../gateway/masking/index.ts';
import { compileMaskingPolicy } from '../../src/masking/policy.ts';
import { caller, defaultPolicy, planFor, requestInfo } from './support.ts';

const plan = (
  overrides: Parameters<typeof requestInfo>[0],
  method = 'GET',
  policy = defaultPolicy,
  groups: string[] = [],
) => planMasking(requestInfo(overrides), caller(groups), policy, method);

describe('planMasking', () => {
  it('plans object masking for every verb on the kinds that hold values', () => {
    for (const verb of ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection']) {
      expect(plan({ resource: 'secrets', verb })?.mode).toBe('object');
    }
    expect(plan({ resource: 'secrets', verb: 'watch' })?.watch).toBe(true);
    const kinds: Record<string, string> = {
      pods: 'Pod',
      podtemplates: 'PodTemplate',
      replicationcontrollers: 'ReplicationController',
      deployments: 'Deployment',
      replicasets: 'ReplicaSet',
      statefulsets: 'StatefulSet',
      daemonsets: 'DaemonSet',
      jobs: 'Job',
      cronjobs: 'CronJob',
    };
    for (const [resource, kind] of Object.entries(kinds)) expect(plan({ resource })?.kind).toBe(kind);
  });

  it('plans nothing for discovery, other resources, HEAD and subresources without values', () => {
    expect(plan({ resource: '', isResourceRequest: false, path: '/apis' })).toBeNull();
    expect(plan({ resource: 'services' })).toBeNull();
    expect(plan({ resource: 'secrets', apiGroup: 'example.com' })).toBeNull();
    expect(plan({ resource: 'secrets' }, 'HEAD')).toBeNull();
    expect(plan({ resource: 'deployments', subresource: 'scale' })).toBeNull();
    expect(plan({ resource: 'pods', subresource: 'exec', verb: 'create' })).toBeNull();
    expect(plan({ resource: 'pods', subresource: 'proxy' })).toBeNull();
    expect(plan({ resource: 'pods', subresource: 'status' })?.mode).toBe('object');
  });

  it('plans text masking for pod logs', () => {
    expect(plan({ resource: 'pods', subresource: 'log', name: 'p' })?.mode).toBe('text');
  });

  it('plans ConfigMaps only where the policy names them', () => {
    expect(plan({ resource: 'configmaps' })).toBeNull();
    const policy = compileMaskingPolicy({
      default: { configMaps: [{ namespace: 'payments', keys: ['*'] }] },
    });
    expect(plan({ resource: 'configmaps', namespace: 'payments' }, 'GET', policy)?.kind).toBe('ConfigMap');
    expect(plan({ resource: 'configmaps', namespace: 'web' }, 'GET', policy)).toBeNull();
    expect(plan({ resource: 'configmaps', namespace: '' }, 'GET', policy)).not.toBeNull();
  });

  it('lets a break-glass caller see raw Secrets and says which rule allowed it', () => {
    const policy = compileMaskingPolicy({ rules: [{ groups: ['break-glass'], secrets: false }] });
    const info = requestInfo({ resource: 'secrets', name: 's1' });
    expect(planMasking(info, caller(['break-glass']), policy, 'GET')).toBeNull();
    expect(unmaskedSecretsRule(info, caller(['break-glass']), policy)).toBe('masking.rules[0]');
    expect(unmaskedSecretsRule(info, caller(['dev']), policy)).toBeUndefined();
    expect(planMasking(info, caller(['dev']), policy, 'GET')).not.toBeNull();
  });

  it('plans no env masking when the rule says never', () => {
    const policy = compileMaskingPolicy({ default: { env: { mode: 'never' } } });
    expect(plan({ resource: 'deployments' }, 'GET', policy)).toBeNull();
  });
});

describe('upstreamAcceptFor', () => {
  const secrets = planFor('secrets');

  it('rewrites protobuf to JSON and keeps Table preferences', () => {
    expect(upstreamAcceptFor(secrets, 'application/vnd.kubernetes.protobuf, application/json')).toBe(
      'application/json',
    );
    const kubectlGet =
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    expect(upstreamAcceptFor(secrets, kubectlGet)).toBe(kubectlGet);
    expect(
      upstreamAcceptFor(secrets, 'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io'),
    ).toBe('application/json;as=Table;v=v1;g=meta.k8s.io');
  });

  it('drops stream framing with protobuf and never leaves the choice open', () => {
    expect(upstreamAcceptFor(secrets, 'application/vnd.kubernetes.protobuf;stream=watch')).toBe(
      'application/json',
    );
    expect(upstreamAcceptFor(secrets, '*/*')).toBe('application/json');
    expect(upstreamAcceptFor(secrets, 'application/yaml')).toBe('application/json');
    expect(upstreamAcceptFor(secrets, 'application/cbor')).toBe('application/json');
    expect(upstreamAcceptFor(secrets, undefined)).toBe('application/json');
    expect(upstreamAcceptFor(secrets, 'application/json;q=0.9')).toBe('application/json;q=0.9');
  });

  it('leaves a log request alone', () => {
    const logs = planFor('pods', { subresource: 'log' });
    expect(upstreamAcceptFor(logs, 'text/plain')).toBe('text/plain');
    expect(upstreamAcceptFor(logs, undefined)).toBe('*/*');
  });
});
