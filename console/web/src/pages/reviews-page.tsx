import type { ReviewList } from '../../../api.types.ts';
import { api } from '../api/paths.ts';
import { useApi } from '../api/use-api.ts';
import { ReviewCard } from '../components/review-card.tsx';
import { useTitle } from '../use-title.ts';
import { ProblemPage } from './problem-page.tsx';

/** Reviews: pending first (soonest deadline first), then decided ones with who decided and when. */
export function ReviewsPage() {
  useTitle('Reviews');
  const list = useApi<ReviewList>(api.reviews());
  if (list.state === 'failed') return <ProblemPage error={list.error} onRetry={list.reload} />;
  if (!list.data) return <p role="status">Loading reviews…</p>;
  const pending = list.data.items.filter((r) => r.state === 'pending');
  const decided = list.data.items.filter((r) => r.state !== 'pending');
  return (
    <>
      <h1>Reviews</h1>
      <p class="toolbar">
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </p>
      <section aria-labelledby="pending-title">
        <h2 id="pending-title">Waiting for a decision ({pending.length})</h2>
        {pending.length === 0 ? (
          <p class="empty">Nothing is waiting.</p>
        ) : (
          pending.map((r) => <ReviewCard key={r.id} review={r} onDecided={list.reload} />)
        )}
      </section>
      <section aria-labelledby="decided-title">
        <h2 id="decided-title">Decided</h2>
        {decided.length === 0 ? (
          <p class="empty">No decided reviews yet.</p>
        ) : (
          decided.map((r) => <ReviewCard key={r.id} review={r} onDecided={list.reload} />)
        )}
      </section>
    </>
  );
}
