/**
 * A test playing the person at the device verification page, over plain HTTP with a cookie jar,
 * exactly as a browser would: open `/device`, submit the user code, confirm it, pick the account
 * on the sign-in page (oidc-interaction.ts), follow the redirects back to the provider until it
 * shows its success page. Anything else (a wrong code, an error page) throws with the page's
 * status, so a test failure says where the flow stopped.
 */
export async function driveDeviceApproval(
  issuer: string,
  userCode: string,
  accountId: string,
): Promise<void> {
  const jar = new Map<string, string>();
  const send = async (
    url: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Response> => {
    const headers: Record<string, string> = {};
    if (jar.size > 0) headers['cookie'] = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(init.form ? { body: new URLSearchParams(init.form).toString() } : {}),
    });
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const at = pair?.indexOf('=') ?? -1;
      if (pair && at > 0) jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
    return response;
  };
  const xsrfOf = (html: string): string => {
    const match = /name="xsrf" value="([^"]+)"/.exec(html);
    if (!match?.[1]) throw new Error('device flow: no xsrf token on the device page');
    return match[1];
  };

  const form = await send(`${issuer}/device`);
  const xsrf = xsrfOf(await form.text());
  const confirmPage = await send(`${issuer}/device`, { method: 'POST', form: { xsrf, user_code: userCode } });
  const confirmHtml = await confirmPage.text();
  if (!confirmHtml.includes('op.deviceConfirmForm')) {
    throw new Error(`device flow: the code ${userCode} was not accepted (HTTP ${confirmPage.status})`);
  }
  let response = await send(`${issuer}/device`, {
    method: 'POST',
    form: { xsrf: xsrfOf(confirmHtml), user_code: userCode, confirm: 'yes' },
  });
  for (let hops = 0; hops < 10; hops++) {
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || !location) break;
    await response.body?.cancel();
    const next = new URL(location, issuer);
    if (next.pathname.startsWith('/interaction/')) next.searchParams.set('account', accountId);
    response = await send(next.toString());
  }
  const page = await response.text();
  if (response.status !== 200 || !/Sign-in Success/i.test(page)) {
    throw new Error(`device flow: sign-in did not complete (HTTP ${response.status})`);
  }
}
