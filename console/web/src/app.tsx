import { useState } from 'preact/hooks';
import { ErrorBoundary, LocationProvider, Route, Router, useLocation } from 'preact-iso';
import type { Me } from '../../api.types.ts';
import { api } from './api/paths.ts';
import { useApi } from './api/use-api.ts';
import { Header } from './components/header.tsx';
import { MeContext } from './me.tsx';
import { NotFoundPage, ProblemPage } from './pages/problem-page.tsx';
import { ReplayPage } from './pages/replay-page.tsx';
import { ReviewPage } from './pages/review-page.tsx';
import { ReviewsPage } from './pages/reviews-page.tsx';
import { SessionPage } from './pages/session-page.tsx';
import { SessionsPage } from './pages/sessions-page.tsx';
import { SignedOutPage, SignInPage } from './pages/sign-in-page.tsx';

/**
 * Links the router handles in the page; /auth/ (sign-in, the issuer's redirect) and /api/ are real
 * navigations to the server.
 */
const PAGE_LINKS = /^\/(?!auth\/|api\/)/;

/** The console: who is signed in decides what shows; the URL decides which page. */
export function App() {
  return (
    <LocationProvider scope={PAGE_LINKS}>
      <ErrorBoundary>
        <Shell />
      </ErrorBoundary>
    </LocationProvider>
  );
}

function Shell() {
  const me = useApi<Me>(api.me);
  const [signedOut, setSignedOut] = useState(false);
  const { url } = useLocation();

  if (signedOut) return <SignedOutPage />;
  if (me.state === 'loading' && !me.data)
    return (
      <p class="loading" role="status">
        Loading…
      </p>
    );
  if (me.state === 'failed') {
    if (me.error.status === 401) return <SignInPage returnTo={url} />;
    return (
      <main id="main" class="page">
        <ProblemPage error={me.error} onRetry={me.reload} />
      </main>
    );
  }
  const who = me.data!;
  return (
    <MeContext.Provider value={who}>
      <Header me={who} onSignedOut={() => setSignedOut(true)} />
      <main id="main" class="page">
        {who.viewer ? (
          <Router>
            <Route path="/" component={ReviewsPage} />
            <Route path="/sessions" component={SessionsPage} />
            <Route path="/sessions/:id" component={SessionPage} />
            <Route path="/sessions/:id/streams/:stream" component={ReplayPage} />
            <Route path="/reviews" component={ReviewsPage} />
            <Route path="/reviews/:id" component={ReviewPage} />
            <Route default component={NotFoundPage} />
          </Router>
        ) : (
          <NotAViewer me={who} />
        )}
      </main>
    </MeContext.Provider>
  );
}

function NotAViewer({ me }: { me: Me }) {
  return (
    <section class="problem" aria-labelledby="problem-title">
      <h1 id="problem-title">You cannot view this console</h1>
      <p>
        You are signed in as <strong>{me.id}</strong>
        {me.groups.length ? ` (groups: ${me.groups.join(', ')})` : ' (no groups)'}, but only the groups the
        console's <code>viewers</code> setting names may see sessions and reviews. Ask an administrator to add
        one of your groups, or sign out and sign in as someone else.
      </p>
    </section>
  );
}
