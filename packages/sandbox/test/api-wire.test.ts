import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../src/server.ts';
import { call } from './api-client.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox({ seed: true, kubeVersion: '1.31', token: 'wire-test-token' });
});
afterAll(async () => {
  await sandbox.close();
});

const TABLE =
  'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';

describe('authentication and recording', () => {
  it('requires the bearer token, except for public paths without a wrong one', async () => {
    expect((await call(sandbox, 'GET', '/api/v1/pods', { token: null })).status).toBe(401);
    const wrong = await call(sandbox, 'GET', '/api/v1/pods', { token: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.json).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await call(sandbox, 'GET', '/version', { token: null })).json).toMatchObject({
      major: '1',
      minor: '31',
      gitVersion: 'v1.31.0',
    });
    expect((await call(sandbox, 'GET', '/version', { token: 'nope' })).status).toBe(401);
    expect((await call(sandbox, 'GET', '/healthz', { token: null })).text).toBe('ok');
  });

  it('records impersonation headers and the credential state, never the token', async () => {
    sandbox.requests.length = 0;
    await call(sandbox, 'GET', '/api/v1/namespaces/default/pods?limit=1', {
      headers: {
        'Impersonate-User': 'hoop:agent-1',
        'Impersonate-Group': 'ai-agents',
        'User-Agent': 'wire-test',
      },
    });
    await call(sandbox, 'GET', '/api', { token: 'bad' });
    expect(sandbox.requests).toHaveLength(2);
    expect(sandbox.requests[0]).toMatchObject({
      method: 'GET',
      path: '/api/v1/namespaces/default/pods',
      query: 'limit=1',
      headers: {
        impersonateUser: 'hoop:agent-1',
        impersonateGroups: ['ai-agents'],
        authorization: 'valid',
        userAgent: 'wire-test',
      },
    });
    expect(sandbox.requests[1]?.headers.authorization).toBe('invalid');
    expect(JSON.stringify(sandbox.requests)).not.toContain('wire-test-token');
  });
});

describe('discovery', () => {
  it('serves legacy discovery with verbs, short names and subresources', async () => {
    const core = (await call(sandbox, 'GET', '/api/v1')).json;
    const resources = core['resources'] as Array<Record<string, unknown>>;
    expect(resources.find((r) => r['name'] === 'pods')).toMatchObject({
      kind: 'Pod',
      namespaced: true,
      shortNames: ['po'],
    });
    expect(resources.map((r) => r['name'])).toEqual(
      expect.arrayContaining(['pods/log', 'pods/exec', 'namespaces', 'secrets']),
    );
    const apps = (await call(sandbox, 'GET', '/apis/apps/v1')).json;
    expect(apps['groupVersion']).toBe('apps/v1');
    const groups = await call(sandbox, 'GET', '/apis', {
      headers: {
        Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
      },
    });
    expect(groups.headers['content-type']).toBe('application/json');
    expect(groups.json['kind']).toBe('APIGroupList');
    expect((await call(sandbox, 'GET', '/apis/batch/v1/jobs')).status).toBe(404);
    expect((await call(sandbox, 'GET', '/nope')).json).toMatchObject({ kind: 'Status', code: 404 });
  });
});

describe('CRUD errors are real Status objects', () => {
  const path = '/api/v1/namespaces/scratch/configmaps';

  it('creates (201), then refuses a duplicate with AlreadyExists', async () => {
    const created = await call(sandbox, 'POST', path, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' } },
    });
    expect(created.status).toBe(201);
    const again = await call(sandbox, 'POST', path, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dup' } },
    });
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({
      reason: 'AlreadyExists',
      message: 'configmaps "dup" already exists',
      details: { name: 'dup', kind: 'configmaps' },
    });
  });

  it('answers Invalid (422) with causes, NotFound for a missing namespace, BadRequest for a namespace mismatch', async () => {
    const nameless = await call(sandbox, 'POST', path, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} },
    });
    expect(nameless.status).toBe(422);
    expect(nameless.json).toMatchObject({
      reason: 'Invalid',
      details: { kind: 'ConfigMap', causes: [{ field: 'metadata.name', reason: 'FieldValueRequired' }] },
    });
    const pod = await call(sandbox, 'POST', '/api/v1/namespaces/scratch/pods', {
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'Bad_Name' }, spec: {} },
    });
    expect(pod.status).toBe(422);
    expect(String(pod.json['message'])).toContain('spec.containers: Required value');
    const ghost = await call(sandbox, 'POST', '/api/v1/namespaces/ghost/configmaps', {
      body: { metadata: { name: 'x' } },
    });
    expect(ghost.json).toMatchObject({ code: 404, message: 'namespaces "ghost" not found' });
    const mismatch = await call(sandbox, 'POST', path, {
      body: { metadata: { name: 'x', namespace: 'default' } },
    });
    expect(mismatch.status).toBe(400);
  });

  it('refuses a stale update with Conflict and a PUT on a collection with MethodNotAllowed', async () => {
    const created = await call(sandbox, 'POST', path, {
      body: { metadata: { name: 'cas' }, data: { a: '1' } },
    });
    const stale = created.json;
    const first = await call(sandbox, 'PUT', `${path}/cas`, { body: { ...stale, data: { a: '2' } } });
    expect(first.status).toBe(200);
    const second = await call(sandbox, 'PUT', `${path}/cas`, { body: { ...stale, data: { a: '3' } } });
    expect(second.json).toMatchObject({ code: 409, reason: 'Conflict' });
    expect((await call(sandbox, 'PUT', path, { body: stale })).json).toMatchObject({
      code: 405,
      reason: 'MethodNotAllowed',
    });
    const badPatch = await call(sandbox, 'PATCH', `${path}/cas`, {
      body: '{}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(badPatch.status).toBe(415);
  });

  it('deletes with a Success Status (pods: the object) and deletecollection by label', async () => {
    const gone = await call(sandbox, 'DELETE', `${path}/dup`);
    expect(gone.json).toMatchObject({
      kind: 'Status',
      status: 'Success',
      details: { name: 'dup', kind: 'configmaps' },
    });
    for (const name of ['l1', 'l2'])
      await call(sandbox, 'POST', path, { body: { metadata: { name, labels: { batch: 'yes' } } } });
    const removed = await call(sandbox, 'DELETE', `${path}?labelSelector=batch%3Dyes`);
    expect((removed.json['items'] as unknown[]).length).toBe(2);
    expect(sandbox.store.get('configmaps', 'scratch', 'l1')).toBeUndefined();
    const protectedNs = await call(sandbox, 'DELETE', '/api/v1/namespaces/default');
    expect(protectedNs.status).toBe(403);
  });
});

describe('lists and tables', () => {
  it('filters by label and field selectors and pages with limit/continue', async () => {
    const web = await call(sandbox, 'GET', '/api/v1/pods?labelSelector=app%20in%20(web)');
    expect((web.json['items'] as unknown[]).length).toBe(2);
    const named = await call(sandbox, 'GET', '/api/v1/pods?fieldSelector=metadata.name%3Dledger-0');
    expect((named.json['items'] as Array<{ metadata: { namespace: string } }>)[0]?.metadata.namespace).toBe(
      'payments',
    );
    const first = await call(sandbox, 'GET', '/api/v1/namespaces?limit=2');
    const meta = first.json['metadata'] as Record<string, unknown>;
    expect((first.json['items'] as unknown[]).length).toBe(2);
    expect(meta['remainingItemCount']).toBe(3);
    const rest = await call(
      sandbox,
      'GET',
      `/api/v1/namespaces?limit=10&continue=${String(meta['continue'])}`,
    );
    expect((rest.json['items'] as unknown[]).length).toBe(3);
    expect((rest.json['metadata'] as Record<string, unknown>)['continue']).toBeUndefined();
    expect((await call(sandbox, 'GET', '/api/v1/pods?labelSelector=%3D%3Dbad')).status).toBe(400);
  });

  it('prints pods as a Table with the real columns and honours includeObject', async () => {
    const table = (
      await call(sandbox, 'GET', '/api/v1/namespaces/payments/pods', { headers: { Accept: TABLE } })
    ).json;
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' });
    const columns = (table['columnDefinitions'] as Array<{ name: string; priority: number }>).filter(
      (c) => c.priority === 0,
    );
    expect(columns.map((c) => c.name)).toEqual(['Name', 'Ready', 'Status', 'Restarts', 'Age']);
    const [row] = table['rows'] as Array<{ cells: unknown[]; object: Record<string, unknown> }>;
    expect(row?.cells.slice(0, 4)).toEqual(['ledger-0', '1/1', 'Running', '0']);
    expect(row?.object['kind']).toBe('PartialObjectMetadata');
    const full = (
      await call(sandbox, 'GET', '/api/v1/namespaces/payments/pods/ledger-0?includeObject=Object', {
        headers: { Accept: TABLE },
      })
    ).json;
    expect((full['rows'] as Array<{ object: Record<string, unknown> }>)[0]?.object['kind']).toBe('Pod');
    const none = (
      await call(sandbox, 'GET', '/api/v1/secrets?includeObject=None', { headers: { Accept: TABLE } })
    ).json;
    expect((none['rows'] as Array<Record<string, unknown>>).every((r) => !('object' in r))).toBe(true);
    const deploy = (
      await call(sandbox, 'GET', '/apis/apps/v1/namespaces/default/deployments', {
        headers: { Accept: TABLE },
      })
    ).json;
    expect((deploy['rows'] as Array<{ cells: unknown[] }>)[0]?.cells.slice(0, 4)).toEqual([
      'web',
      '2/2',
      2,
      2,
    ]);
  });
});

describe('compression', () => {
  it('gzips responses over 128 KiB when the client accepts gzip, as kube-apiserver does', async () => {
    const big = 'x'.repeat(40_000);
    for (let i = 0; i < 5; i++) {
      await call(sandbox, 'POST', '/api/v1/namespaces/scratch/configmaps', {
        body: { metadata: { name: `big-${i}` }, data: { big } },
      });
    }
    const plain = await call(sandbox, 'GET', '/api/v1/namespaces/scratch/configmaps');
    expect(plain.headers['content-encoding']).toBeUndefined();
    const zipped = await call(sandbox, 'GET', '/api/v1/namespaces/scratch/configmaps', {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(Buffer.from(zipped.raw)).toString()).toBe(plain.text);
    const small = await call(sandbox, 'GET', '/api/v1/namespaces/scratch/configmaps/big-0', {
      headers: { 'Accept-Encoding': 'gzip' },
    });
    expect(small.headers['content-encoding']).toBeUndefined();
  });
});
