/**
 * An HTTP/2 request carries its method, path, authority and scheme as pseudo-header fields
 * (`:method`, `:path`, …), which Node keeps in `rawHeaders` beside the real fields. The header
 * builder copies a caller's fields upstream from `rawHeaders`, so it must drop the pseudo-fields
 * (the cluster's connection is HTTP/1.1 or a stream of its own), and everything it drops for an
 * HTTP/1.1 caller — credentials, impersonation, identity fields, hop-by-hop fields — it must drop
 * for an HTTP/2 caller too. Checked on requests as a real HTTP/2 server receives them.
 */
import { once } from 'node:events';
import { connect, createServer, type Http2ServerRequest } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IdentityMapping } from '../../gateway/runtime.ts';
import { upstreamRequestHeaders } from '../../gateway/upstream/headers.ts';

const IDENTITY: IdentityMapping = { userPrefix: 'hoop:', groupPrefix: '', extraGroups: [] };
const CALLER = { issuer: 'https://issuer.test', subject: 'agent-1', groups: ['ai-agents'], claims: {} };

let server: ReturnType<typeof createServer>;
let url: string;
let received: Http2ServerRequest[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(req);
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.close();
});

/** The headers the gateway would send upstream for a request sent with `fields` over HTTP/2. */
async function forwardedFor(fields: Record<string, string | string[]>): Promise<Record<string, unknown>> {
  received = [];
  const session = connect(url);
  const stream = session.request({ ':path': '/api/v1/namespaces/default/pods', ...fields });
  stream.resume();
  await once(stream, 'close');
  session.close();
  const req = received[0]!;
  expect(req.httpVersion).toBe('2.0');
  return upstreamRequestHeaders(req, CALLER, IDENTITY, 'Bearer gateway-credential', { upgrade: false });
}

describe('fields of an HTTP/2 request on their way upstream', () => {
  it('no pseudo-header field is copied', async () => {
    const headers = await forwardedFor({ accept: 'application/json' });
    expect(Object.keys(headers).filter((name) => name.startsWith(':'))).toEqual([]);
    expect(headers['accept']).toBe('application/json');
  });

  it("the caller's credential and identity fields are replaced by the gateway's", async () => {
    const headers = await forwardedFor({
      authorization: 'Bearer the-callers-own-token',
      'x-remote-user': 'system:admin',
      'x-remote-group': 'system:masters',
      'x-remote-extra-scopes': 'all',
    });
    expect(headers['authorization']).toBe('Bearer gateway-credential');
    expect(headers['impersonate-user']).toBe('hoop:agent-1');
    expect(JSON.stringify(headers)).not.toMatch(/the-callers-own-token|system:admin|system:masters/);
  });

  it('hop-by-hop fields an HTTP/2 client may send (te) are not copied', async () => {
    const headers = await forwardedFor({ te: 'trailers' });
    expect(headers['te']).toBeUndefined();
  });

  it('repeated fields stay separate values', async () => {
    const headers = await forwardedFor({ accept: ['application/json', 'application/yaml'] });
    expect(headers['accept']).toEqual(['application/json', 'application/yaml']);
  });
});
