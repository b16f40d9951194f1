import { once } from 'node:events';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createResponseMasker } from '../../gateway/masking/index.ts';
import { MASK_MARKER as M } from '../../src/masking/mask-core.ts';
import { compileMaskingPolicy } from '../../src/masking/policy.ts';
import { planFor, runMasker, splitAt } from './support.ts';

const logs = planFor('pods', { subresource: 'log', name: 'web-1' });
const text = { contentType: 'text/plain' };

describe('pods/log masking', () => {
  it('masks values and keeps line breaks, CRLF and other bytes', async () => {
    const body = Buffer.from('start\r\npassword=hunter2\r\nkey AKIAIOSFODNN7EXAMPLE\n\nend without newline');
    const run = await runMasker(logs, [body], text);
    expect(run.output.toString()).toBe(`start\r\npassword=${M}\r\nkey ${M}\n\nend without newline`);
    expect(run.count).toBe(2);
  });

  it('finds a secret that spans a chunk boundary', async () => {
    const body = Buffer.from('boot ok\nconnecting with password=hunter2 now\nAKIAIOSFODNN7EXAMPLE\n');
    for (let cut = 1; cut < body.length; cut++) {
      const run = await runMasker(logs, splitAt(body, [cut, cut + 3]), text);
      expect(run.output.toString()).toBe(`boot ok\nconnecting with password=${M} now\n${M}\n`);
    }
  });

  it('masks the Secret values the caller passes in, and decodes gzip', async () => {
    const body = gzipSync('db says: correct-horse-battery\n');
    const run = await runMasker(logs, [body], {
      ...text,
      contentEncoding: 'gzip',
      literals: ['correct-horse-battery'],
    });
    expect(run.output.toString()).toBe(`db says: ${M}\n`);
  });

  it('ignores passed-in values when the rule turns secretValues off', async () => {
    const policy = compileMaskingPolicy({ default: { logs: { secretValues: false, detectors: ['jwt'] } } });
    const plan = planFor('pods', { subresource: 'log' }, policy);
    const run = await runMasker(plan, [Buffer.from('value: correct-horse-battery\n')], {
      ...text,
      literals: ['correct-horse-battery'],
    });
    expect(run.output.toString()).toBe('value: correct-horse-battery\n');
  });

  it('keeps bytes that are not UTF-8', async () => {
    const body = Buffer.from([0xff, 0xfe, 0x20, ...Buffer.from('token=abc\n'), 0xc3]);
    const run = await runMasker(logs, [body], text);
    expect(run.output.equals(Buffer.from([0xff, 0xfe, 0x20, ...Buffer.from(`token=${M}\n`), 0xc3]))).toBe(
      true,
    );
  });

  it('cuts a line longer than maxLineBytes at whitespace and keeps masking', async () => {
    const policy = compileMaskingPolicy({ limits: { maxLineBytes: 256 } });
    const plan = planFor('pods', { subresource: 'log' }, policy);
    const words = Array.from({ length: 200 }, (_, i) =>
      i % 50 === 7 ? 'password=hunter2' : `word${i}`,
    ).join(' ');
    const run = await runMasker(plan, splitAt(Buffer.from(`${words}\n`), [100, 300, 700, 1200]), text);
    expect(run.output.toString()).toBe(`${words.replaceAll('password=hunter2', `password=${M}`)}\n`);
  });

  it('in follow mode, emits each complete line at once and a partial line after a pause', async () => {
    const policy = compileMaskingPolicy({ limits: { partialLineFlushMs: 20 } });
    const masker = createResponseMasker(planFor('pods', { subresource: 'log' }, policy), {
      statusCode: 200,
      contentType: 'text/plain',
      contentEncoding: undefined,
      isFollowLog: true,
    });
    masker.write(Buffer.from('password=hunter2\nEnter val'));
    const [line] = (await once(masker, 'data')) as [Buffer];
    expect(line.toString()).toBe(`password=${M}\n`);
    const [partial] = (await once(masker, 'data')) as [Buffer];
    expect(partial.toString()).toBe('Enter val');
    masker.destroy();
  });

  it('does not mask error statuses of a log request', async () => {
    const body = Buffer.from(
      '{"kind":"Status","code":400,"message":"container \\"x\\" is waiting: password=none"}',
    );
    const run = await runMasker(logs, [body], { statusCode: 400, contentType: 'application/json' });
    expect(run.output.equals(body)).toBe(true);
  });
});
