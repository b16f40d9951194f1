import type { CallDetail } from '../../../api.types.ts';
import { api } from '../api/paths.ts';
import { useApi } from '../api/use-api.ts';
import { BodyView } from './body-view.tsx';

/** A call's recorded headers and masked bodies, loaded when its row is expanded. */
export function CallDetails({ sessionId, rid }: { sessionId: string; rid: string }) {
  const detail = useApi<CallDetail>(api.call(sessionId, rid));
  if (detail.state === 'failed') return <p role="alert">Could not load this call: {detail.error.message}</p>;
  if (!detail.data) return <p role="status">Loading the call…</p>;
  const { call, requestHeaders, requestBody, responseBody } = detail.data;
  return (
    <div class="call-details">
      <p>
        <code>
          {call.method} {call.path}
          {call.query ? `?${call.query}` : ''}
        </code>
      </p>
      {call.message && <p>{call.message}</p>}
      <details>
        <summary>Request headers</summary>
        <pre>
          {Object.entries(requestHeaders)
            .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(', ') : value}`)
            .join('\n')}
        </pre>
      </details>
      <div class="bodies">
        <BodyView title="Request body" body={requestBody} />
        <BodyView title="Response body" body={responseBody} />
      </div>
    </div>
  );
}
