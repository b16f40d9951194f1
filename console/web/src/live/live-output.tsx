import { useEffect, useRef } from 'preact/hooks';

/** A running exec's output as plain text, kept scrolled to the newest line. */
export function LiveOutput({ stream, text }: { stream: string; text: string }) {
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (pre.current) pre.current.scrollTop = pre.current.scrollHeight;
  }, [text]);
  return (
    <section aria-label={`Live output of ${stream}`} class="live-output">
      <h2>
        Output of {stream} <span class="live-marker">live</span>
      </h2>
      <pre ref={pre} aria-live="polite" data-testid={`live-output-${stream}`}>
        {text}
      </pre>
    </section>
  );
}
