import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, SEED_VALUES, startSandbox } from '../src/server.ts';
import { call } from './api-client.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ seed: true });
});
afterAll(async () => {
  await sandbox.close();
});

describe('seeded data and logs', () => {
  it('holds the recognisable seed values', async () => {
    const secret = (await call(sandbox, 'GET', '/api/v1/namespaces/payments/secrets/db-credentials')).json;
    expect(
      Buffer.from(String((secret['data'] as Record<string, string>)['password']), 'base64').toString(),
    ).toBe(SEED_VALUES.ledgerDbPassword);
    const deployment = (await call(sandbox, 'GET', '/apis/apps/v1/namespaces/default/deployments/web')).text;
    expect(deployment).toContain(SEED_VALUES.webDbPassword);
    const logs = await call(sandbox, 'GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb');
    const pod = (logs.json['items'] as Array<{ metadata: { name: string } }>)[0]?.metadata.name;
    const text = (
      await call(sandbox, 'GET', `/api/v1/namespaces/default/pods/${pod}/log?tailLines=4&timestamps=true`)
    ).text;
    expect(text.split('\n').filter(Boolean)).toHaveLength(4);
    expect(text).toContain(SEED_VALUES.awsAccessKeyId);
    expect(text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z /);
  });

  it('scales a deployment through the scale subresource and the controller follows', async () => {
    const scale = await call(sandbox, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', {
      body: { spec: { replicas: 3 } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    expect(scale.json).toMatchObject({
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      spec: { replicas: 3 },
      status: { selector: 'app=web' },
    });
    await sandbox.settle();
    expect(sandbox.store.list('pods', 'default').length).toBe(3);
    const status = (await call(sandbox, 'GET', '/apis/apps/v1/namespaces/default/deployments/web')).json[
      'status'
    ];
    expect(status).toMatchObject({ replicas: 3, readyReplicas: 3, updatedReplicas: 3 });
    await call(sandbox, 'PATCH', '/apis/apps/v1/namespaces/default/deployments/web/scale', {
      body: { spec: { replicas: 2 } },
      headers: { 'Content-Type': 'application/merge-patch+json' },
    });
    await sandbox.settle();
    expect(sandbox.store.list('pods', 'default').length).toBe(2);
  });
});
