import { useEffect, useId, useRef, useState } from 'react';
import { castLines, terminalRecordings } from '@postern/recording-format';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import { parse, type RecordedEvent } from './timeline';

/**
 * Terminal recordings (SSH shells and exec channels, Kubernetes exec streams) replayed with
 * asciinema-player, the maintained asciicast v2 player: the recording's terminals are listed, the
 * chosen one is handed to the player as the .cast text the engine's header and output events make
 * (the same text `postern replay --cast` writes).
 */
export function TerminalReplay({ events }: { events: readonly RecordedEvent[] }) {
  const terminals = terminalRecordings(events.map((e) => ({ type: e.type, at: e.at, body: parse(e.json) })));
  const [chosen, setChosen] = useState(0);
  const selectId = useId();
  const terminal = terminals[Math.min(chosen, terminals.length - 1)];
  if (!terminal) return <p className="muted">This session recorded no terminal (shell or exec).</p>;
  return (
    <section aria-label="terminal replay" className="replay">
      {terminals.length > 1 ? (
        <p>
          <label htmlFor={selectId}>Terminal </label>
          <select id={selectId} value={chosen} onChange={(e) => setChosen(Number(e.target.value))}>
            {terminals.map((t, index) => (
              <option key={t.key} value={index}>
                {t.title}
              </option>
            ))}
          </select>
        </p>
      ) : (
        <p>{terminal.title}</p>
      )}
      <p className="muted" aria-label="terminal summary">
        {terminal.events.filter((e) => e[1] === 'o').length} output events ·{' '}
        {terminal.events.length > 0 ? `${terminal.events[terminal.events.length - 1]![0].toFixed(1)} s` : '0 s'}
      </p>
      <CastPlayer key={terminal.key} cast={castLines(terminal).join('\n')} />
    </section>
  );
}

/** Mounts asciinema-player on the .cast text (loaded on demand: only terminal sessions need it). */
function CastPlayer({ cast }: { cast: string }) {
  const container = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState<string | null>(null);
  useEffect(() => {
    let disposed = false;
    let player: { dispose(): void } | null = null;
    void import('asciinema-player').then(
      ({ create }) => {
        if (disposed || !container.current) return;
        player = create({ data: cast }, container.current, { fit: 'width', idleTimeLimit: 2 });
      },
      (error: unknown) => setFailed(error instanceof Error ? error.message : String(error)),
    );
    return () => {
      disposed = true;
      player?.dispose();
    };
  }, [cast]);
  if (failed) return <p className="error">The player could not load: {failed}</p>;
  return <div ref={container} className="terminal-player" data-testid="terminal-player" />;
}
