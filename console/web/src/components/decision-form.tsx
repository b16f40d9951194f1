import { useState } from 'preact/hooks';
import type { ApproveBody, RejectBody, ReviewDecision, ReviewItem } from '../../../api.types.ts';
import { postJson } from '../api/client.ts';
import { api } from '../api/paths.ts';
import { asFailure } from '../api/use-api.ts';
import { formatDuration } from '../format.ts';
import { useMe } from '../me.tsx';

/**
 * Approve, approve for a window, or reject with a reason. The server decides whether this person
 * may (approver for the rule, not the requester…); its refusal is shown as it wrote it.
 */
export function DecisionForm({
  review,
  onDecided,
}: {
  review: ReviewItem;
  onDecided: (d: ReviewDecision) => void;
}) {
  const me = useMe();
  const [reason, setReason] = useState('');
  const [windowSeconds, setWindowSeconds] = useState(String(review.windowChoices[0] ?? ''));
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<string>();
  const [note, setNote] = useState<string>();
  const field = `reason-${review.id}`;

  const decide = async (path: string, body: ApproveBody | RejectBody) => {
    setBusy(true);
    setRefusal(undefined);
    try {
      const decision = await postJson<ReviewDecision>(path, body, me.csrfToken);
      if (decision.outcome === 'counted') {
        setNote(
          `Your approval counts: ${decision.review.approvals.count} of ${decision.review.approvals.needed} needed.`,
        );
      }
      onDecided(decision);
    } catch (error) {
      setRefusal(asFailure(error).message);
    } finally {
      setBusy(false);
    }
  };
  const withReason = reason.trim() ? { reason: reason.trim() } : {};

  return (
    <form class="decide" onSubmit={(e) => e.preventDefault()} aria-label={`Decide review ${review.id}`}>
      {review.you.why && <p class="muted">{review.you.why}</p>}
      <label for={field}>Reason (required to reject; the agent reads it)</label>
      <textarea id={field} rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      <div class="buttons">
        <button
          type="button"
          class="primary"
          disabled={busy}
          onClick={() => decide(api.approve(review.id), withReason)}
        >
          Approve
        </button>
        {review.windowChoices.length > 0 && (
          <span class="window">
            <button
              type="button"
              disabled={busy}
              onClick={() => decide(api.approve(review.id), { ...withReason, window: Number(windowSeconds) })}
            >
              Approve for
            </button>
            <select
              aria-label="Window"
              value={windowSeconds}
              onChange={(e) => setWindowSeconds(e.currentTarget.value)}
            >
              {review.windowChoices.map((seconds) => (
                <option key={seconds} value={String(seconds)}>
                  {formatDuration(seconds * 1000)}
                </option>
              ))}
            </select>
          </span>
        )}
        <button
          type="button"
          class="danger"
          disabled={busy}
          onClick={() => {
            if (!reason.trim()) {
              setRefusal('Write a reason to reject: the agent reads it to know what to do instead.');
              return;
            }
            void decide(api.reject(review.id), { reason: reason.trim() });
          }}
        >
          Reject
        </button>
      </div>
      {refusal && (
        <p class="error-line" role="alert" data-testid="refusal">
          {refusal}
        </p>
      )}
      {note && <p role="status">{note}</p>}
    </form>
  );
}
