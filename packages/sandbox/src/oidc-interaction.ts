import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Provider } from 'oidc-provider';
import type { OidcIssuerAccount } from './oidc-issuer.ts';

/**
 * The sandbox issuer's sign-in page (`/interaction/<uid>`): an account picker, no password. A
 * browser (the demo) gets one button per account; a test names the account in the query
 * (`?account=alice`, oidc-device-driver.ts). Consent is never asked: the provider's
 * `loadExistingGrant` grants what the people client asks for. Loopback test equipment only.
 */
export async function interactionPage(
  provider: Provider,
  accounts: ReadonlyMap<string, OidcIssuerAccount>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const details = await provider.interactionDetails(req, res);
  const url = new URL(req.url ?? '/', 'http://issuer.invalid');
  let account = url.searchParams.get('account');
  if (req.method === 'POST') account = new URLSearchParams(await readBody(req)).get('account');
  if (details.prompt.name === 'login') {
    if (account && accounts.has(account)) {
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: account } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const buttons = [...accounts.values()]
      .map(
        (a) =>
          `<button name="account" value="${escapeHtml(a.id)}">${escapeHtml(a.id)} (${escapeHtml(a.email)}; groups: ${escapeHtml(a.groups.join(', ') || 'none')})</button>`,
      )
      .join('<br/>');
    const body = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<h1>Sign in to the sandbox issuer</h1><p>Pick who you are (test accounts, no password):</p>
<form method="post">${buttons}</form></body></html>`;
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
    return;
  }
  // Consent: grant what was asked (loadExistingGrant normally makes this unreachable).
  const grant = new provider.Grant({
    accountId: details.session?.accountId ?? '',
    clientId: String(details.params['client_id']),
  });
  grant.addOIDCScope(String(details.params['scope'] ?? 'openid'));
  const grantId = await grant.save();
  await provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > 4096) req.destroy(new Error('form too large'));
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
