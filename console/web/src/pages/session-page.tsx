import type { SessionDetail } from '../../../api.types.ts';
import { api } from '../api/paths.ts';
import { useApi } from '../api/use-api.ts';
import { ChainBadge } from '../components/chain-badge.tsx';
import { SessionFacts } from '../components/session-facts.tsx';
import { LiveMarker } from '../components/session-table.tsx';
import { StreamList } from '../components/stream-list.tsx';
import { Timeline } from '../components/timeline.tsx';
import { LiveOutput } from '../live/live-output.tsx';
import { type LiveSession, useLiveSession } from '../live/use-live-session.ts';
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
  const detail = live.snapshot ?? loaded.data;
  const following = open && (live.state === 'live' || live.state === 'connecting');

  // The timeline loads beside the session, not after it (the calls are what people came for), and
  // keeps its place in the page when the session arrives, so it is not loaded twice.
  return (
    <>
      <h1>
        Session <code>{id}</code> {following && <LiveMarker />}
      </h1>
      {detail ? (
        <SessionHeader id={id} detail={detail} live={live} open={open} />
      ) : (
        <p role="status">Loading the session and verifying its recording…</p>
      )}
      <Timeline sessionId={id} liveCalls={live.calls} />
    </>
  );
}

/** Everything above the timeline: live status, facts, the chain's verdict, streams and live output. */
function SessionHeader(props: { id: string; detail: SessionDetail; live: LiveSession; open: boolean }) {
  const { id, detail, live, open } = props;
  const streams = [
    ...new Map([...detail.streams.map((s) => [s.stream, s] as const), ...live.streams]).values(),
  ];
  return (
    <>
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
