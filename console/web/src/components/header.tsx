import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import type { LoggedOut, Me } from '../../../api.types.ts';
import { postJson } from '../api/client.ts';
import { api, pages } from '../api/paths.ts';
import { asFailure } from '../api/use-api.ts';

/** The bar on every signed-in page: where to go, who you are, and signing out. */
export function Header({ me, onSignedOut }: { me: Me; onSignedOut: () => void }) {
  const { path } = useLocation();
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);

  const signOut = async () => {
    setBusy(true);
    setProblem(undefined);
    try {
      const result = await postJson<LoggedOut>(api.logout, {}, me.csrfToken);
      if (result.endSessionUrl) window.location.assign(result.endSessionUrl);
      else onSignedOut();
    } catch (error) {
      setProblem(`Sign-out failed: ${asFailure(error).message}`);
      setBusy(false);
    }
  };

  const current = (prefix: string) => (path === prefix || path.startsWith(`${prefix}/`) ? 'page' : undefined);
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <a class="brand" href={pages.reviews}>
        hoop-gateway
      </a>
      <nav aria-label="Console">
        <a href={pages.reviews} aria-current={current('/reviews') ?? (path === '/' ? 'page' : undefined)}>
          Reviews
        </a>
        <a href={pages.sessions} aria-current={current('/sessions')}>
          Sessions
        </a>
      </nav>
      <div class="who">
        <span data-testid="signed-in-as" title={`${me.subject} at ${me.issuer}`}>
          {me.name && me.name !== me.id ? `${me.name} · ${me.id}` : me.id}
        </span>
        <button type="button" class="quiet" onClick={signOut} disabled={busy}>
          Sign out
        </button>
      </div>
      {problem && (
        <p class="error-line" role="alert">
          {problem}
        </p>
      )}
    </header>
  );
}
