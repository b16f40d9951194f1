/**
 * The health endpoints both listeners answer (the HTTPS one before the pipeline, the metrics one),
 * without authentication and without touching a cluster:
 * - `/livez` and `/healthz`: the process's event loop turns (answering at all proves it);
 * - `/readyz`: every dependency the configuration requires answers ({@link ReadinessCheck}s, each
 *   cheap and cached by its owner), and the process is not shutting down. `?verbose` lists them.
 */
export interface ReadinessCheck {
  name: string;
  ok(): Promise<boolean> | boolean;
}

export interface Health {
  checks: ReadinessCheck[];
  /** Set when shutdown begins: `/readyz` answers 503 so load balancers stop sending traffic. */
  draining: boolean;
}

export function createHealth(checks: ReadinessCheck[] = []): Health {
  return { checks, draining: false };
}

/** The failing checks' names (empty when ready). */
export async function notReady(health: Health): Promise<string[]> {
  const results = await Promise.all(
    health.checks.map(async (check) => ({
      name: check.name,
      ok: await Promise.resolve(check.ok()).catch(() => false),
    })),
  );
  const failed = results.filter((r) => !r.ok).map((r) => r.name);
  return health.draining ? ['shutting-down', ...failed] : failed;
}

/** Answers a health path and returns true, or returns false for any other path. */
/** What the health answers use of a request and its response (HTTP/1.1 or HTTP/2 alike). */
interface HealthRequest {
  url?: string;
}
interface HealthResponse {
  writeHead(statusCode: number, headers: Record<string, string>): unknown;
  end(body: string): unknown;
}

export function answerHealth(req: HealthRequest, res: HealthResponse, health: Health): boolean {
  const url = req.url ?? '';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/livez' || path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    return true;
  }
  if (path !== '/readyz') return false;
  const verbose =
    q !== -1 &&
    url
      .slice(q + 1)
      .split('&')
      .includes('verbose');
  notReady(health).then((failed) => {
    const ok = failed.length === 0;
    res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
    if (!verbose) return res.end(ok ? 'ok' : 'not ready');
    const lines = health.checks.map((c) => `[${failed.includes(c.name) ? '-' : '+'}]${c.name}`);
    if (health.draining) lines.push('[-]shutting-down');
    res.end(`${lines.join('\n')}\n${ok ? 'ok' : 'not ready'}\n`);
  });
  return true;
}
