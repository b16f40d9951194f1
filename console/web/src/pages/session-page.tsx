import type { SessionDetail } from '../../../api.types.ts';
import { api } from '../api/paths.ts';
import { useApi } from '../api/use-api.ts';
import { ChainBadge } from '../components/chain-badge.tsx';
import { SessionFacts } from '../components/session-facts.tsx';
import { LiveMarker } from '../components/session-table.tsx';
import { StreamList } from '../components/stream-list.tsx';
import { Timeline } from '../components/timeline.tsx';
import { LiveOutput } from '../live/live-output.tsx';
import { useLiveSession } from '../live/use-live-session.ts';
import { useTitle } from '../use-title.ts';
import { ProblemPage } from './problem-page.tsx';

/**
 * One session: its facts, the hash-chain verdict, its exec streams and the timeline of calls.
 * While the session is open, calls and exec output arrive live (Server-Sent Events).
 */
export function SessionPage({ id }: { id: string }) {
  useTitle(`Session ${id}`);
  const loaded = useApi<SessionDetail>(api.session(id));
  const open = loaded.data?.session.state === 'open';
  const live = useLiveSession(id, open);

  if (loaded.state === 'failed') return <ProblemPage error={loaded.error} onRetry={loaded.reload} />;
  // The timeline loads beside the session, not after it: the calls are what people came for.
  if (!loaded.data) {
    return (
      <>
        <h1>
          Session <code>{id}</code>
        </h1>
        <p role="status">Loading the session and verifying its recording…</p>
        <Timeline sessionId={id} />
      </>
    );
  }
  const detail = live.snapshot ?? loaded.data;
  const streams = [
    ...new Map([...detail.streams.map((s) => [s.stream, s] as const), ...live.streams]).values(),
  ];
  const following = open && (live.state === 'live' || live.state === 'connecting');

  return (
    <>
      <h1>
        Session <code>{id}</code> {following && <LiveMarker />}
      </h1>
      {open && <LiveStatus state={live.state} />}
      <SessionFacts
        detail={detail}
        liveCalls={Math.max(0, ...[...live.calls.values()].map((c) => c.index + 1))}
      />
      <ChainBadge chain={detail.chain} open={detail.session.state === 'open'} />
      <StreamList sessionId={id} streams={streams} />
      {[...live.output].map(([stream, text]) => (
        <LiveOutput key={stream} stream={stream} text={text} />
      ))}
      <Timeline sessionId={id} liveCalls={live.calls} />
    </>
  );
}

function LiveStatus({ state }: { state: string }) {
  const text: Record<string, string> = {
    connecting: 'Connecting to the running session…',
    live: 'Following the running session: new calls and exec output appear as they happen.',
    ended: 'The session has ended. Reload for its final verification.',
    interrupted: 'The live view was refused or lost. Reload the page to follow the session again.',
  };
  return (
    <p class={`live-status ${state}`} role="status" data-testid="live-status" data-state={state}>
      {text[state]}
    </p>
  );
}
