import type { ReviewDetail } from '../../../api.types.ts';
import { api, pages } from '../api/paths.ts';
import { useApi } from '../api/use-api.ts';
import { ReviewCard } from '../components/review-card.tsx';
import { formatTime } from '../format.ts';
import { useTitle } from '../use-title.ts';
import { ProblemPage } from './problem-page.tsx';

/** One review (chat cards link here), with its history of refused and forged decisions. */
export function ReviewPage({ id }: { id: string }) {
  useTitle(`Review ${id}`);
  const detail = useApi<ReviewDetail>(api.review(id));
  if (detail.state === 'failed') return <ProblemPage error={detail.error} onRetry={detail.reload} />;
  if (!detail.data) return <p role="status">Loading review {id}…</p>;
  const { review, history } = detail.data;
  return (
    <>
      <p class="breadcrumb">
        <a href={pages.reviews}>Reviews</a>
      </p>
      <h1>
        Review <code>{id}</code>
      </h1>
      <ReviewCard review={review} onDecided={detail.reload} />
      {history.length > 0 && (
        <section aria-labelledby="history-title">
          <h2 id="history-title">History</h2>
          <ul>
            {history.map((h) => (
              <li key={`${h.at}-${h.kind}`}>
                {formatTime(h.at)}: {h.kind.replaceAll('-', ' ')} by {h.by}
                {h.detail ? `: ${h.detail}` : ''}
              </li>
            ))}
          </ul>
        </section>
      )}
    </>
  );
}
