import { pages } from '../api/paths.ts';

/**
 * Not signed in (the API answered 401). Signing in is a click, not an automatic redirect: a
 * failing issuer then shows a page instead of bouncing the browser back and forth.
 */
export function SignInPage({ returnTo }: { returnTo: string }) {
  return (
    <main id="main" class="page narrow">
      <section class="problem" aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to the hoop-gateway console</h1>
        <p>
          See what agents did in your clusters, replay their exec sessions, and approve or reject held calls.
          You sign in with your organisation's identity provider.
        </p>
        <a class="button primary" href={pages.login(returnTo)}>
          Sign in
        </a>
      </section>
    </main>
  );
}

export function SignedOutPage() {
  return (
    <main id="main" class="page narrow">
      <section class="problem" aria-labelledby="signed-out-title">
        <h1 id="signed-out-title">You are signed out</h1>
        <p>Your console session has ended on this browser.</p>
        <a class="button primary" href={pages.login('/')}>
          Sign in again
        </a>
      </section>
    </main>
  );
}
