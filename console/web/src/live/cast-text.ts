import stripAnsi from 'strip-ansi';

/**
 * An asciicast v2 document's output as plain text: what the terminal printed, escape sequences
 * removed. For "copy as text" and for people who read rather than watch.
 */
export function castText(cast: string): string {
  let text = '';
  for (const line of cast.split('\n').slice(1)) {
    if (!line.trim()) continue;
    try {
      const event: unknown = JSON.parse(line);
      if (Array.isArray(event) && event[1] === 'o' && typeof event[2] === 'string') text += event[2];
    } catch {
      // A torn last line: the rest still reads.
    }
  }
  return stripAnsi(text).replace(/\r\n?/g, '\n');
}
