import type { ReviewDecision, ReviewItem } from '../../../api.types.ts';
import { pages } from '../api/paths.ts';
import { formatDuration, formatTime, isoTime, relativeTime } from '../format.ts';
import { DecisionForm } from './decision-form.tsx';

/** A review with the facts its chat card shows; pending ones carry the decision buttons. */
export function ReviewCard({
  review,
  onDecided,
}: {
  review: ReviewItem;
  onDecided: (d: ReviewDecision) => void;
}) {
  const t = review.target;
  // A namespace's own name is its "namespace" too: say it once.
  const where = [t.resource === 'namespaces' ? undefined : t.namespace, t.name].filter(Boolean).join('/');
  return (
    <article class={`review ${review.state}`} aria-labelledby={`review-${review.id}`} data-review={review.id}>
      <header>
        <h3 id={`review-${review.id}`}>
          <a href={pages.review(review.id)}>
            {t.verb} {t.resource}
            {where ? ` ${where}` : ''}
          </a>{' '}
          <span class={`state ${review.state}`}>{review.state}</span>
        </h3>
        <p class="muted">
          on <strong>{t.cluster}</strong> by <strong>{review.requester.subject}</strong>
          {review.requester.owner ? ` (owner ${review.requester.owner})` : ''}
        </p>
      </header>
      <dl class="facts">
        {t.command && (
          <>
            <dt>kubectl</dt>
            <dd>
              <code>{t.command}</code>
            </dd>
          </>
        )}
        <dt>Rule</dt>
        <dd>
          {review.rule.name}: {review.rule.message}
        </dd>
        {review.impact && (
          <>
            <dt>Impact</dt>
            <dd>
              {review.impact.headline}
              {review.impact.details.length > 0 && (
                <ul>
                  {review.impact.details.map((d) => (
                    <li key={d}>{d}</li>
                  ))}
                </ul>
              )}
              {!review.impact.complete && <span class="muted"> (incomplete)</span>}
            </dd>
          </>
        )}
        {review.body && (
          <>
            <dt>Body</dt>
            <dd>
              <pre>{review.body}</pre>
            </dd>
          </>
        )}
        <dt>Groups</dt>
        <dd>{review.requester.groups.join(', ') || 'none'}</dd>
        <dt>{review.state === 'pending' ? 'Expires' : 'Asked'}</dt>
        <dd>
          {review.state === 'pending' ? (
            <time dateTime={isoTime(review.deadline)}>{relativeTime(review.deadline)}</time>
          ) : (
            formatTime(review.createdAt)
          )}
        </dd>
        {review.approvals.needed > 1 && (
          <>
            <dt>Approvals</dt>
            <dd>
              {review.approvals.count} of {review.approvals.needed}
            </dd>
          </>
        )}
        {review.session && (
          <>
            <dt>Session</dt>
            <dd>
              <a href={pages.session(review.session)}>{review.session}</a>
            </dd>
          </>
        )}
      </dl>
      {review.decisions.length > 0 && (
        <ul class="decisions">
          {review.decisions.map((d) => (
            <li key={`${d.approver}-${d.at}`}>
              <strong>{d.action === 'approve' ? 'Approved' : 'Rejected'}</strong> by {d.approver} via {d.via},{' '}
              {formatTime(d.at)}
              {d.windowSeconds ? ` for ${formatDuration(d.windowSeconds * 1000)}` : ''}
              {d.reason ? `: “${d.reason}”` : ''}
              {!d.signature.verified && (
                <span class="bad">
                  {' '}
                  (signature not verified{d.signature.problem ? `: ${d.signature.problem}` : ''})
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
      {review.state === 'pending' && <DecisionForm review={review} onDecided={onDecided} />}
    </article>
  );
}
