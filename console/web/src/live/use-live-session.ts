import { useEffect, useState } from 'preact/hooks';
import stripAnsi from 'strip-ansi';
import type { CallRow, LiveEventMap, SessionDetail, StreamSummary } from '../../../api.types.ts';
import { api } from '../api/paths.ts';

/** Terminal text kept per stream in the live view: the tail, so a chatty exec cannot eat the tab's memory. */
const OUTPUT_TAIL = 64 * 1024;

export interface LiveSession {
  /** `connecting` until the first event, `live` while events flow, `ended` once the session closed. */
  state: 'connecting' | 'live' | 'ended' | 'interrupted';
  snapshot?: SessionDetail;
  calls: ReadonlyMap<string, CallRow>;
  streams: ReadonlyMap<string, StreamSummary>;
  /** Output so far per stream, escape sequences removed (the replay page has the full terminal). */
  output: ReadonlyMap<string, string>;
}

const EMPTY: LiveSession = { state: 'connecting', calls: new Map(), streams: new Map(), output: new Map() };

/**
 * Follows a running session over Server-Sent Events (`/api/v1/sessions/{id}/live`). EventSource
 * reconnects by itself with Last-Event-ID after a dropped connection; a refusal (429, 403) closes
 * it for good, shown as `interrupted`.
 */
export function useLiveSession(sessionId: string, enabled: boolean): LiveSession {
  const [live, setLive] = useState<LiveSession>(EMPTY);

  useEffect(() => {
    setLive(EMPTY);
    if (!enabled) return;
    const source = new EventSource(api.live(sessionId));
    const on = <K extends keyof LiveEventMap>(
      name: K,
      apply: (data: LiveEventMap[K], s: LiveSession) => LiveSession,
    ) =>
      source.addEventListener(name, (event) => {
        const data = JSON.parse((event as MessageEvent<string>).data) as LiveEventMap[K];
        setLive((current) =>
          apply(data, { ...current, state: current.state === 'ended' ? 'ended' : 'live' }),
        );
      });

    on('snapshot', (snapshot, s) => ({
      ...s,
      snapshot,
      streams: new Map([...s.streams, ...snapshot.streams.map((x) => [x.stream, x] as const)]),
    }));
    on('call', (call, s) => ({ ...s, calls: new Map(s.calls).set(call.rid, call) }));
    on('stream', (stream, s) => ({ ...s, streams: new Map(s.streams).set(stream.stream, stream) }));
    on('output', (output, s) => {
      const text = output.frames
        .filter(([, kind]) => kind === 'o')
        .map(([, , data]) => data)
        .join('');
      const next = ((s.output.get(output.stream) ?? '') + stripAnsi(text).replace(/\r\n?/g, '\n')).slice(
        -OUTPUT_TAIL,
      );
      return { ...s, output: new Map(s.output).set(output.stream, next) };
    });
    on('end', (_end, s) => {
      source.close();
      return { ...s, state: 'ended' };
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        setLive((current) => (current.state === 'ended' ? current : { ...current, state: 'interrupted' }));
      }
    };
    return () => source.close();
  }, [sessionId, enabled]);

  return live;
}
