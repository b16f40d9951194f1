/**
 * Reading and decoding request bodies by Content-Type, as the apiserver's negotiated serializers
 * do: JSON, YAML, and (for the kinds kubectl sends that way) Kubernetes protobuf. A body in any
 * other media type, or a protobuf object the sandbox has no decoder for, is answered 415, never
 * guessed at.
 */
import type { IncomingMessage } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { StatusError } from '../../../../src/errors.ts';
import { badRequest, unsupportedMediaType } from '../errors.ts';
import { isRecord, type KubeObject } from '../objects/meta.ts';
import { canDecodeProtobuf, decodeProtobufObject, decodeUnknown } from '../protobuf/decode.ts';
import { UnsupportedFieldError } from '../protobuf/schema.ts';
import { ProtobufError } from '../protobuf/wire-reader.ts';

/** kube-apiserver's default request body limit (3 MiB). */
const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES)
      throw new StatusError(413, 'BadRequest', 'Request entity too large: limit is 3000000');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** The bare media type (`application/json`) of a Content-Type header, lowercased. */
export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** Parses JSON text (also YAML when `yaml` is set), as the body of a request. */
export function parseText(body: Buffer, yaml: boolean): unknown {
  const text = body.toString('utf8');
  try {
    return yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    throw badRequest(`couldn't get version/kind; json parse error: ${why}`);
  }
}

/** Decodes the object in a create or update body. */
export function decodeObjectBody(body: Buffer, contentType: string | undefined): KubeObject {
  const media = mediaTypeOf(contentType);
  let decoded: unknown;
  if (media === PROTOBUF) {
    try {
      const envelope = decodeUnknown(body);
      if (!canDecodeProtobuf(envelope.apiVersion, envelope.kind))
        throw unsupportedMediaType(`${PROTOBUF} (${envelope.apiVersion} ${envelope.kind})`);
      decoded = decodeProtobufObject(envelope);
    } catch (error) {
      if (error instanceof UnsupportedFieldError) throw unsupportedMediaType(`${PROTOBUF}: ${error.message}`);
      if (error instanceof ProtobufError)
        throw badRequest(`unable to decode protobuf body: ${error.message}`);
      throw error;
    }
  } else if (media === 'application/json' || media === '') {
    decoded = parseText(body, false);
  } else if (media === 'application/yaml') {
    decoded = parseText(body, true);
  } else {
    throw unsupportedMediaType(contentType ?? '');
  }
  if (!isRecord(decoded)) throw badRequest('Object in the request body is not a JSON object');
  return decoded;
}
