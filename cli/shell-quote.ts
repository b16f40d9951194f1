/**
 * Quotes a word for a POSIX shell, for commands the CLI prints for a person to copy and run: a
 * word of safe characters stays as it is, anything else is single-quoted (with `'` written as
 * `'\''`), so a config path with spaces or `$` pastes back as the same argument.
 */
export function shellQuote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", "'\\''")}'`;
}
