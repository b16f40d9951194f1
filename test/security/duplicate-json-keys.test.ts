/**
 * A repeated JSON key must not hide values from masking.
 *
 * `JSON.parse` keeps the last value of a repeated key. A Secret written as
 * `{"data":{"password":"…"},"data":null}` is inspected as a Secret without data; the masker found
 * nothing to replace and passed on the bytes as they came, first `data` and its values included.
 * The same worked with a repeated `kind` (the object is inspected as a ConfigMap) and a repeated
 * `metadata` (the last-applied annotation is never seen). kube-apiserver never writes repeated
 * keys, but anything between it and the gateway that can rewrite a response could. A piece with a
 * repeated key is now written back from what was inspected, never as it came.
 */
import { describe, expect, it } from 'vitest';
import { LAST_APPLIED_ANNOTATION } from '../../gateway/masking/last-applied.ts';
import { planFor, runMasker } from '../masking/support.ts';

const VALUE = Buffer.from('dup-key-hidden-password').toString('base64');
const APPLIED = JSON.stringify(JSON.stringify({ kind: 'Secret', data: { password: VALUE } }));

const SECRETS = {
  'a repeated data': `{"metadata":{"name":"a"},"data":{"password":"${VALUE}"},"data":null}`,
  'a repeated data, spaced': `{"metadata": {"name":"a"}, "data": {"password":"${VALUE}"}, "d\\u0061ta": {}}`,
  'a repeated kind': `{"kind":"Secret","metadata":{"name":"a"},"data":{"password":"${VALUE}"},"kind":"ConfigMap"}`,
  'a repeated metadata': `{"metadata":{"name":"a","annotations":{"${LAST_APPLIED_ANNOTATION}":${APPLIED}}},"metadata":{"name":"a"}}`,
  'a repeated annotations': `{"metadata":{"annotations":{"${LAST_APPLIED_ANNOTATION}":${APPLIED}},"annotations":{}}}`,
};

const withKind = (secret: string) =>
  secret.includes('"kind"') ? secret : `{"kind":"Secret","apiVersion":"v1",${secret.slice(1)}`;

describe.each(Object.entries(SECRETS))('a Secret with %s', (_name, secret) => {
  it('in a list: no value gets through', async () => {
    const body = `{"kind":"SecretList","apiVersion":"v1","metadata":{},"items":[${secret}]}`;
    const run = await runMasker(planFor('secrets', { verb: 'list' }), [Buffer.from(body)]);
    expect(run.output.toString()).not.toContain(VALUE);
  });

  it('alone: no value gets through', async () => {
    const run = await runMasker(planFor('secrets', { name: 'a' }), [Buffer.from(withKind(secret))]);
    expect(run.output.toString()).not.toContain(VALUE);
  });

  it('in a watch event: no value gets through', async () => {
    const event = `{"type":"ADDED","object":${withKind(secret)}}\n`;
    const run = await runMasker(planFor('secrets', { verb: 'watch' }), [Buffer.from(event)]);
    expect(run.output.toString()).not.toContain(VALUE);
  });
});
