import { ApiFailure } from '../api/client.ts';
import { pages } from '../api/paths.ts';

const TITLES: Record<number, string> = {
  0: 'The console cannot be reached',
  401: 'Your sign-in has ended',
  403: 'Not allowed',
  404: 'Not found',
  410: 'This has expired',
  429: 'Too many open views',
  503: 'Temporarily unavailable',
};

/** A readable page for any failed load: what happened, and what to do next. */
export function ProblemPage({ error, onRetry }: { error: ApiFailure; onRetry?: () => void }) {
  const title = TITLES[error.status] ?? 'Something went wrong';
  return (
    <section class="problem" aria-labelledby="problem-title" data-status={error.status}>
      <h1 id="problem-title">{title}</h1>
      <p>{error.message}</p>
      <p class="actions">
        {error.status === 401 ? (
          <a class="button primary" href={pages.login(window.location.pathname + window.location.search)}>
            Sign in again
          </a>
        ) : (
          onRetry &&
          error.status !== 404 &&
          error.status !== 403 && (
            <button type="button" onClick={onRetry}>
              Try again
            </button>
          )
        )}
        <a href={pages.reviews}>Reviews</a>
        <a href={pages.sessions}>Sessions</a>
      </p>
    </section>
  );
}

export function NotFoundPage() {
  return (
    <ProblemPage
      error={new ApiFailure(404, 'NotFound', `There is no console page at ${window.location.pathname}.`)}
    />
  );
}
