import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import type { OidcIssuer } from '@hoop-gateway/sandbox/oidc-issuer';
import type { Me } from '../../console/api.types.ts';

/**
 * A person's browser at the web console, for end-to-end tests over HTTP: a cookie jar, HTTPS
 * trusting the console's CA, and sign-in driven through the real authorization code flow — the
 * console's /auth/login, the sandbox issuer's authorize endpoint and its account picker (as its
 * own device driver does), back to /auth/callback — following redirects by hand so every hop can
 * be checked.
 */
export interface ConsoleAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

export interface ConsoleTarget {
  publicUrl: string;
  caPem: string;
}

export class ConsoleClient {
  readonly jar = new Map<string, string>();
  readonly #target: ConsoleTarget;
  csrf: string | undefined;

  constructor(target: ConsoleTarget) {
    this.#target = target;
  }

  /** One request to the console, cookies from the jar; Set-Cookie goes back into the jar. */
  send(
    method: string,
    path: string,
    options: { headers?: Record<string, string>; body?: string; cookies?: boolean } = {},
  ): Promise<ConsoleAnswer> {
    const url = new URL(path, this.#target.publicUrl);
    const headers: Record<string, string> = { ...options.headers };
    if (options.cookies !== false && this.jar.size > 0)
      headers['cookie'] = [...this.jar].map(([name, value]) => `${name}=${value}`).join('; ');
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path: `${url.pathname}${url.search}`,
          ca: this.#target.caPem,
          headers,
          agent: false,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => {
            for (const cookie of res.headers['set-cookie'] ?? []) {
              const [pair] = cookie.split(';');
              const at = pair?.indexOf('=') ?? -1;
              if (!pair || at <= 0) continue;
              const name = pair.slice(0, at);
              const value = pair.slice(at + 1);
              if (value === '' || /max-age=0/i.test(cookie)) this.jar.delete(name);
              else this.jar.set(name, value);
            }
            const body = Buffer.concat(chunks).toString('utf8');
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body,
              json: () => JSON.parse(body),
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(options.body);
    });
  }

  get(path: string): Promise<ConsoleAnswer> {
    return this.send('GET', path);
  }

  /** A POST as the front end sends it: JSON, same Origin, the CSRF token. */
  post(path: string, body: unknown = {}): Promise<ConsoleAnswer> {
    return this.send('POST', path, {
      headers: {
        'content-type': 'application/json',
        origin: this.#target.publicUrl,
        ...(this.csrf ? { 'x-csrf-token': this.csrf } : {}),
      },
      body: JSON.stringify(body),
    });
  }

  /**
   * Signs in as `accountId` at the sandbox issuer; resolves with where the console sent the
   * browser afterwards and who `/api/v1/me` says is signed in (its CSRF token kept for posts).
   */
  async signIn(issuer: OidcIssuer, accountId: string, returnTo = '/'): Promise<{ location: string; me: Me }> {
    const login = await this.get(`/auth/login?return=${encodeURIComponent(returnTo)}`);
    if (login.status !== 302 || !login.headers.location)
      throw new Error(`/auth/login answered ${login.status}: ${login.body}`);
    const callback = await followIssuer(issuer.issuer, login.headers.location, accountId);
    if (!callback.startsWith(`${this.#target.publicUrl}/auth/callback?`))
      throw new Error(`the issuer sent the browser to ${callback}`);
    const done = await this.get(callback.slice(this.#target.publicUrl.length));
    if (done.status !== 302) throw new Error(`/auth/callback answered ${done.status}: ${done.body}`);
    const me = await this.get('/api/v1/me');
    if (me.status !== 200) throw new Error(`/api/v1/me answered ${me.status}: ${me.body}`);
    const parsed = me.json<Me>();
    this.csrf = parsed.csrfToken;
    return { location: done.headers.location ?? '', me: parsed };
  }
}

/**
 * The browser at the issuer: from its authorize URL through the account picker, following
 * redirects with the issuer's cookies, until it redirects somewhere else (the console's
 * callback), which is returned.
 */
export async function followIssuer(issuer: string, start: string, accountId: string): Promise<string> {
  const jar = new Map<string, string>();
  let url = new URL(start);
  for (let hops = 0; hops < 12; hops++) {
    if (url.origin !== new URL(issuer).origin) return url.toString();
    if (url.pathname.startsWith('/interaction/')) url.searchParams.set('account', accountId);
    const response = await fetch(url, {
      redirect: 'manual',
      headers: jar.size > 0 ? { cookie: [...jar].map(([n, v]) => `${n}=${v}`).join('; ') } : {},
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    const location = response.headers.get('location');
    await response.body?.cancel();
    if (response.status < 300 || response.status >= 400 || !location)
      throw new Error(`the issuer answered ${response.status} at ${url.pathname}`);
    url = new URL(location, url);
  }
  throw new Error('too many redirects at the issuer');
}

/** One Server-Sent Event as received. */
export interface ReceivedEvent {
  event: string;
  id?: string;
  data: string;
}

export interface EventStream {
  status: number;
  headers: IncomingHttpHeaders;
  events: ReceivedEvent[];
  /** Comment lines (`: ping`) seen so far. */
  comments: number;
  ended: boolean;
  /** Resolves with the first event (already received or to come) that `match` accepts. */
  next(match: (event: ReceivedEvent) => boolean, timeoutMs?: number): Promise<ReceivedEvent>;
  close(): void;
}

/** Opens an SSE stream on the console with the client's cookies, parsing events as they come. */
export function openEventStream(
  client: ConsoleClient,
  target: ConsoleTarget,
  path: string,
  headers: Record<string, string> = {},
): Promise<EventStream> {
  const url = new URL(path, target.publicUrl);
  const cookie = [...client.jar].map(([name, value]) => `${name}=${value}`).join('; ');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        ca: target.caPem,
        agent: false,
        headers: { cookie, accept: 'text/event-stream', ...headers },
      },
      (res) => {
        const waiters: Array<{ match: (e: ReceivedEvent) => boolean; resolve: (e: ReceivedEvent) => void }> =
          [];
        const stream: EventStream = {
          status: res.statusCode ?? 0,
          headers: res.headers,
          events: [],
          comments: 0,
          ended: false,
          next(match, timeoutMs = 15_000) {
            const seen = stream.events.find(match);
            if (seen) return Promise.resolve(seen);
            return new Promise((done, fail) => {
              const timer = setTimeout(
                () => fail(new Error(`no matching event in ${timeoutMs} ms`)),
                timeoutMs,
              );
              waiters.push({
                match,
                resolve: (event) => {
                  clearTimeout(timer);
                  done(event);
                },
              });
            });
          },
          close: () => req.destroy(),
        };
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end !== -1; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event: ReceivedEvent = { event: 'message', data: '' };
            let isComment = true;
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              isComment = false;
              const at = line.indexOf(':');
              const field = at === -1 ? line : line.slice(0, at);
              const value = at === -1 ? '' : line.slice(at + 1).replace(/^ /, '');
              if (field === 'event') event.event = value;
              else if (field === 'id') event.id = value;
              else if (field === 'data') event.data += value;
            }
            if (isComment) {
              stream.comments += 1;
              continue;
            }
            stream.events.push(event);
            for (const waiter of [...waiters]) {
              if (waiter.match(event)) {
                waiters.splice(waiters.indexOf(waiter), 1);
                waiter.resolve(event);
              }
            }
          }
        });
        res.on('end', () => {
          stream.ended = true;
        });
        res.on('error', () => undefined);
        resolve(stream);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
