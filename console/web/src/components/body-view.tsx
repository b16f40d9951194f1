import type { RecordedBody } from '../../../api.types.ts';
import { formatBytes } from '../format.ts';

/** A recorded body as the recorder stored it: masked JSON or text, or only its size and digest. */
export function BodyView({ title, body }: { title: string; body: RecordedBody | undefined }) {
  if (!body) {
    return (
      <section class="body">
        <h4>{title}</h4>
        <p class="muted">No body.</p>
      </section>
    );
  }
  const facts = [
    body.contentType,
    formatBytes(body.size),
    body.masked ? `${body.masked} value${body.masked === 1 ? '' : 's'} masked` : undefined,
    body.truncated ? 'truncated' : undefined,
  ].filter(Boolean);
  return (
    <section class="body">
      <h4>{title}</h4>
      <p class="muted">{facts.join(' · ')}</p>
      {body.json !== undefined ? (
        <pre>{JSON.stringify(body.json, null, 2)}</pre>
      ) : body.text !== undefined ? (
        <pre>{body.text}</pre>
      ) : (
        <p class="muted">
          Content not stored ({body.omitted ?? 'not recorded'}); SHA-256{' '}
          <code class="digest">{body.sha256}</code>
        </p>
      )}
    </section>
  );
}
