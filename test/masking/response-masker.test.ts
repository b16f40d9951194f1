import { once } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { brotliCompressSync, constants, createGzip, deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createResponseMasker } from '../../gateway/masking/index.ts';
import { LAST_APPLIED_ANNOTATION } from '../../gateway/masking/last-applied.ts';
import { StatusError } from '../../src/errors.ts';
import { MASKED_BASE64 } from '../../src/masking/mask-core.ts';
import { compileMaskingPolicy } from '../../src/masking/policy.ts';
import { chunksOf, planFor, runMasker } from './support.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');
const SECRET = b64('hunter2-very-secret');
const secret = (name: string, value = SECRET) => ({
  metadata: {
    name,
    namespace: 'default',
    resourceVersion: '42',
    annotations: {
      [LAST_APPLIED_ANNOTATION]: `${JSON.stringify({ kind: 'Secret', data: { password: value } })}\n`,
    },
  },
  data: { password: value },
  type: 'Opaque',
});
const json = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`);
const secretList = (n: number) => ({
  kind: 'SecretList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '99' },
  items: Array.from({ length: n }, (_, i) => secret(`s${i}`)),
});

describe('createResponseMasker: objects and lists', () => {
  it('masks a single Secret, in any chunking, and reports the count', async () => {
    const body = json({ kind: 'Secret', apiVersion: 'v1', ...secret('s1') });
    for (const size of [1, 7, 1024]) {
      const run = await runMasker(planFor('secrets'), chunksOf(body, size));
      expect(run.error).toBeUndefined();
      const out = JSON.parse(run.output.toString());
      expect(out.data.password).toBe(MASKED_BASE64);
      expect(run.output.toString()).not.toContain(SECRET);
      expect(out.metadata.resourceVersion).toBe('42');
      expect(run.count).toBe(2);
    }
  });

  it('decodes gzip, deflate and br', async () => {
    const body = json(secretList(3));
    for (const [encoding, bytes] of [
      ['gzip', gzipSync(body)],
      ['deflate', deflateSync(body)],
      ['br', brotliCompressSync(body)],
    ] as const) {
      const run = await runMasker(planFor('secrets'), chunksOf(bytes, 13), { contentEncoding: encoding });
      expect(run.error).toBeUndefined();
      expect(JSON.parse(run.output.toString()).items).toHaveLength(3);
      expect(run.output.toString()).not.toContain(SECRET);
    }
  });

  it('masks lists item by item and leaves the list head and tail as they were', async () => {
    const body = json(secretList(5));
    const run = await runMasker(planFor('secrets', { verb: 'list' }), chunksOf(body, 50));
    const out = JSON.parse(run.output.toString());
    expect(out.kind).toBe('SecretList');
    expect(out.metadata).toEqual({ resourceVersion: '99' });
    expect(out.items.map((i: { data: { password: string } }) => i.data.password)).toEqual(
      Array(5).fill(MASKED_BASE64),
    );
    expect(run.count).toBe(10);
  });

  it('masks Table rows with full objects, and PartialObjectMetadata annotations', async () => {
    const table = {
      kind: 'Table',
      apiVersion: 'meta.k8s.io/v1',
      metadata: { resourceVersion: '1' },
      columnDefinitions: [{ name: 'Name', type: 'string', format: 'name' }],
      rows: [
        { cells: ['s1', 'Opaque', 1, '1m'], object: { kind: 'Secret', ...secret('s1') } },
        {
          cells: ['s2', 'Opaque', 1, '1m'],
          object: { kind: 'PartialObjectMetadata', metadata: secret('s2').metadata },
        },
      ],
    };
    const run = await runMasker(planFor('secrets'), chunksOf(json(table), 17));
    expect(run.output.toString()).not.toContain(SECRET);
    expect(JSON.parse(run.output.toString()).rows[0].cells).toEqual(['s1', 'Opaque', 1, '1m']);
  });

  it('passes untouched bodies byte for byte: no values, error statuses, Status objects', async () => {
    const pretty = Buffer.from(
      JSON.stringify({ kind: 'SecretList', items: [{ metadata: { name: 'a' } }] }, null, 2),
    );
    expect((await runMasker(planFor('secrets'), chunksOf(pretty, 5))).output.equals(pretty)).toBe(true);
    const notFound = json({ kind: 'Status', status: 'Failure', code: 404, message: 'secrets "x" not found' });
    const run = await runMasker(planFor('secrets'), [gzipSync(notFound)], {
      statusCode: 404,
      contentEncoding: 'gzip',
    });
    expect(run.output.equals(notFound)).toBe(true);
    const deleted = json({ kind: 'Status', status: 'Success', details: { name: 's1', kind: 'secrets' } });
    expect((await runMasker(planFor('secrets'), [deleted])).output.equals(deleted)).toBe(true);
    expect((await runMasker(planFor('secrets'), [], { contentType: undefined })).output.length).toBe(0);
  });

  it('streams a list far larger than maxObjectBytes, one item at a time', async () => {
    const policy = compileMaskingPolicy({ limits: { maxObjectBytes: 4096 } });
    const body = json(secretList(200));
    expect(body.length).toBeGreaterThan(10 * 4096);
    const run = await runMasker(planFor('secrets', {}, policy), chunksOf(body, 1000));
    expect(run.error).toBeUndefined();
    expect(JSON.parse(run.output.toString()).items).toHaveLength(200);
  });

  it('masks env in a Deployment list and leaves items without matches byte for byte', async () => {
    const deployment = (name: string, env: { name: string; value: string }[]) => ({
      metadata: { name },
      spec: { template: { spec: { containers: [{ name: 'app', image: 'nginx', env }] } } },
    });
    const plain = JSON.stringify(deployment('plain', [{ name: 'LOG_LEVEL', value: 'debug' }]));
    const secretive = JSON.stringify(deployment('secretive', [{ name: 'DB_PASSWORD', value: 'hunter2' }]));
    const body = Buffer.from(
      `{"kind":"DeploymentList","apiVersion":"apps/v1","metadata":{},"items":[${plain},${secretive}]}`,
    );
    const run = await runMasker(planFor('deployments'), chunksOf(body, 30));
    const output = run.output.toString();
    expect(output).toContain(plain);
    expect(output).not.toContain('hunter2');
    expect(run.count).toBe(1);
  });

  it('keeps int64 values beyond 2^53 exactly when it re-serialises an object', async () => {
    const body = Buffer.from(
      `{"kind":"Secret","metadata":{"generation":12345678901234567891},"data":{"a":"${SECRET}"}}`,
    );
    const run = await runMasker(planFor('secrets'), [body]);
    expect(run.output.toString()).toContain('"generation":12345678901234567891');
  });
});

describe('createResponseMasker: failing closed', () => {
  const expect502 = (error: unknown) => {
    expect(error).toBeInstanceOf(StatusError);
    expect((error as StatusError).code).toBe(502);
  };

  it('refuses malformed JSON for a Secret without emitting any of it', async () => {
    for (const body of [
      `{"kind":"Secret","data":{"password":"${SECRET}"},}`,
      `{"kind":"Secret","data":{"password":"${SECRET}"}`,
      `{"kind":"Secret","data":{"password":"${SECRET}"}} trailing`,
      `["${SECRET}"]`,
    ]) {
      const run = await runMasker(planFor('secrets'), chunksOf(Buffer.from(body), 9));
      expect502(run.error);
      expect(run.output.toString()).not.toContain(SECRET);
      expect(run.output.toString()).not.toContain('hunter2');
    }
  });

  it('emits earlier masked items of a list but nothing of a broken one', async () => {
    const good = JSON.stringify(secretList(2)).slice(0, -2);
    // The third item is not closed: `"data":{…}` ends, then the array does.
    const body = Buffer.from(
      `${good},{"metadata":{"name":"bad"},"data":{"password":"${b64('leak-me-not')}"}]}`,
    );
    const run = await runMasker(planFor('secrets'), chunksOf(body, 64));
    expect502(run.error);
    expect(run.output.toString()).toContain('"name":"s0"');
    expect(run.output.toString()).toContain('"name":"s1"');
    expect(run.output.toString()).not.toContain('"name":"bad"');
    expect(run.output.toString()).not.toContain(b64('leak-me-not'));
    expect(run.output.toString()).not.toContain(SECRET);
  });

  it('refuses protobuf, YAML and unlabelled bodies for a Secret', async () => {
    for (const contentType of ['application/vnd.kubernetes.protobuf', 'application/yaml', undefined]) {
      const run = await runMasker(planFor('secrets'), [Buffer.from(`k8s\0${SECRET}`)], { contentType });
      expect502(run.error);
      expect(run.output.length).toBe(0);
    }
  });

  it('refuses an object larger than the limit, and a body it cannot decompress', async () => {
    const policy = compileMaskingPolicy({ limits: { maxObjectBytes: 2048 } });
    const big = json({ kind: 'Secret', data: { a: b64('x'.repeat(4096)) } });
    const run = await runMasker(planFor('secrets', {}, policy), chunksOf(big, 100));
    expect502(run.error);
    expect(run.output.length).toBe(0);
    const corrupt = await runMasker(planFor('secrets'), [Buffer.from('not gzip at all')], {
      contentEncoding: 'gzip',
    });
    expect502(corrupt.error);
    const unknown = await runMasker(planFor('secrets'), [Buffer.from('{}')], { contentEncoding: 'zstd' });
    expect502(unknown.error);
  });
});

describe('createResponseMasker: watch streams', () => {
  const event = (type: string, name: string) =>
    json({ type, object: { kind: 'Secret', apiVersion: 'v1', ...secret(name) } });

  it('emits each masked event before any further input arrives', async () => {
    const masker = createResponseMasker(planFor('secrets', { verb: 'watch' }), {
      statusCode: 200,
      contentType: 'application/json',
      contentEncoding: undefined,
      isWatch: true,
    });
    masker.write(event('ADDED', 's1'));
    const [first] = (await once(masker, 'data')) as [Buffer];
    const line = JSON.parse(first.toString());
    expect(line.type).toBe('ADDED');
    expect(line.object.data.password).toBe(MASKED_BASE64);
    masker.destroy();
  });

  it('flushes gzip-compressed events at once too', async () => {
    const masker = createResponseMasker(planFor('secrets', { verb: 'watch' }), {
      statusCode: 200,
      contentType: 'application/json',
      contentEncoding: 'gzip',
      isWatch: true,
    });
    const gzip = createGzip();
    gzip.on('data', (chunk: Buffer) => masker.write(chunk));
    const received: string[] = [];
    masker.on('data', (chunk: Buffer) => received.push(chunk.toString()));
    for (const name of ['s1', 's2']) {
      gzip.write(event('MODIFIED', name));
      gzip.flush(constants.Z_SYNC_FLUSH);
      await expect.poll(() => received.join('')).toContain(`"name":"${name}"`);
    }
    expect(received.join('')).not.toContain(SECRET);
    expect(received.join('').endsWith('\n')).toBe(true);
    masker.destroy();
    gzip.destroy();
  });

  it('handles events split across chunks and several in one chunk; ERROR events pass', async () => {
    const error = json({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
    const body = Buffer.concat([event('ADDED', 'a'), event('MODIFIED', 'b'), error, event('DELETED', 'c')]);
    const run = await runMasker(planFor('secrets', { verb: 'watch' }), chunksOf(body, 33), { isWatch: true });
    const lines = run.output.toString().trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l).type)).toEqual(['ADDED', 'MODIFIED', 'ERROR', 'DELETED']);
    expect(lines[2]).toBe(error.toString().trimEnd());
    expect(run.output.toString()).not.toContain(SECRET);
  });

  it('fails when the stream ends inside an event, without emitting it', async () => {
    const body = Buffer.concat([event('ADDED', 'a'), event('ADDED', 'b').subarray(0, 60)]);
    const run = await runMasker(planFor('secrets', { verb: 'watch' }), [body], { isWatch: true });
    expect(run.error?.code).toBe(502);
    expect(run.output.toString().trimEnd().split('\n')).toHaveLength(1);
  });
});

describe('createResponseMasker: backpressure', () => {
  it('delivers a large gzip list intact to a slow reader', async () => {
    const body = json(secretList(2000));
    const masker = createResponseMasker(planFor('secrets'), {
      statusCode: 200,
      contentType: 'application/json',
      contentEncoding: 'gzip',
    });
    const out: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, callback) {
        out.push(chunk);
        setImmediate(callback);
      },
    });
    await pipeline(Readable.from(chunksOf(gzipSync(body), 4096)), masker, slow);
    const parsed = JSON.parse(Buffer.concat(out).toString());
    expect(parsed.items).toHaveLength(2000);
    expect(masker.maskedCount()).toBe(4000);
  });
});
