import type { Player } from 'asciinema-player';
import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { SessionDetail } from '../../../api.types.ts';
import type { ApiFailure } from '../api/client.ts';
import { getText } from '../api/client.ts';
import { api, pages } from '../api/paths.ts';
import { asFailure, useApi } from '../api/use-api.ts';
import { CastPlayer } from '../components/cast-player.tsx';
import { castText } from '../live/cast-text.ts';
import { useTitle } from '../use-title.ts';
import { ProblemPage } from './problem-page.tsx';

const SPEEDS = [0.5, 1, 2, 4, 8];

/** An exec or attach replayed from its recorded asciicast, with speed and a text copy. */
export function ReplayPage({ id, stream }: { id: string; stream: string }) {
  useTitle(`Replay ${stream} of ${id}`);
  const session = useApi<SessionDetail>(api.session(id));
  const [cast, setCast] = useState<string>();
  const [failure, setFailure] = useState<ApiFailure>();
  const [speed, setSpeed] = useState(1);
  const [restart, setRestart] = useState({ at: 0, playing: false });
  const [copied, setCopied] = useState<string>();
  const player = useRef<Player | undefined>(undefined);
  const onPlayer = useCallback((p: Player | undefined) => {
    player.current = p;
  }, []);

  useEffect(() => {
    const abort = new AbortController();
    getText(api.cast(id, stream), abort.signal).then(setCast, (error: unknown) => {
      if (!abort.signal.aborted) setFailure(asFailure(error));
    });
    return () => abort.abort();
  }, [id, stream]);
  const text = useMemo(() => (cast === undefined ? '' : castText(cast)), [cast]);

  if (failure) return <ProblemPage error={failure} />;
  const info = session.data?.streams.find((s) => s.stream === stream);

  const changeSpeed = (next: number) => {
    const at = player.current?.getCurrentTime() ?? 0;
    setRestart({ at, playing: at > 0 });
    setSpeed(next);
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied('Output copied as text.');
    } catch {
      setCopied('The browser refused the clipboard: select the text below and copy it.');
    }
  };

  return (
    <>
      <p class="breadcrumb">
        <a href={pages.session(id)}>Session {id}</a>
      </p>
      <h1>
        Replay of {info ? `${info.kind} ${info.command?.join(' ') ?? ''}` : stream}
        {info?.pod && (
          <span class="muted">
            {' '}
            in {info.namespace}/{info.pod}
          </span>
        )}
      </h1>
      {cast === undefined ? (
        <p role="status">Loading the recording…</p>
      ) : (
        <>
          <CastPlayer
            cast={cast}
            speed={speed}
            startAt={restart.at}
            autoPlay={restart.playing}
            onPlayer={onPlayer}
          />
          <div class="replay-tools">
            <label>
              Speed{' '}
              <select value={String(speed)} onChange={(e) => changeSpeed(Number(e.currentTarget.value))}>
                {SPEEDS.map((s) => (
                  <option key={s} value={String(s)}>
                    {s}×
                  </option>
                ))}
              </select>
            </label>
            <button type="button" onClick={copy}>
              Copy output as text
            </button>
            <span role="status">{copied}</span>
          </div>
          <p class="muted">Keys in the player: space plays or pauses, ← and → seek, f toggles full screen.</p>
          <details>
            <summary>Output as text</summary>
            <pre data-testid="cast-text">{text}</pre>
          </details>
        </>
      )}
    </>
  );
}
