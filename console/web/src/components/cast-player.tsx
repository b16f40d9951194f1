import type { Player } from 'asciinema-player';
import { useEffect, useRef } from 'preact/hooks';

/** The player is most of the bundle's weight: loaded only when a replay opens. */
const loadPlayer = () =>
  Promise.all([import('asciinema-player'), import('asciinema-player/dist/bundle/asciinema-player.css')]).then(
    ([module]) => module,
  );

export interface CastPlayerProps {
  /** The asciicast v2 document. */
  cast: string;
  speed: number;
  /** Where to (re)start, in seconds: a speed change keeps the position. */
  startAt: number;
  autoPlay: boolean;
  /** Reports the player so the page can read its position (for a speed change). */
  onPlayer: (player: Player | undefined) => void;
}

/**
 * asciinema-player around a recorded cast: play/pause, seek (bar, arrow keys) and full screen are
 * the player's own. It is created again when the speed changes: the player fixes its speed at
 * creation.
 */
export function CastPlayer({ cast, speed, startAt, autoPlay, onPlayer }: CastPlayerProps) {
  const container = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    let player: Player | undefined;
    let disposed = false;
    void loadPlayer().then(({ create }) => {
      if (disposed) return;
      player = create({ data: cast }, element, {
        speed,
        startAt,
        autoPlay,
        fit: 'width',
        idleTimeLimit: 2,
        terminalFontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      });
      onPlayer(player);
    });
    return () => {
      disposed = true;
      onPlayer(undefined);
      player?.dispose();
    };
  }, [cast, speed, onPlayer]);
  return <div class="cast-player" ref={container} data-testid="cast-player" />;
}
