/**
 * Whether a string can be an identity value the gateway puts in an `Impersonate-User` or
 * `Impersonate-Group` header, and if not, why.
 *
 * HTTP parsers, Go's included, trim leading and trailing whitespace from header values, and a
 * CR or LF ends the header line. A value such as `" system:masters"` would pass a
 * `startsWith('system:')` check and arrive at kube-apiserver as `system:masters`; one with CR/LF
 * would inject a header of its own. So a value must be exactly what the cluster will read: no
 * control characters (C0, DEL, C1), no whitespace at either end, not empty. Everything else,
 * spaces inside and non-ASCII letters included, is a legitimate name.
 *
 * Returns undefined for a usable value, else a short reason for a message.
 */
export function identityValueProblem(value: string): string | undefined {
  if (value === '') return 'is empty';
  if (/[\u0000-\u001f\u007f-\u009f]/.test(value)) return 'contains a control character (CR, LF, tab, NUL…)';
  if (/^\s|\s$/u.test(value)) return 'begins or ends with whitespace';
  return undefined;
}

/**
 * An identity value as Node must be handed it for a header: Node writes header strings as latin1,
 * one byte per character, and refuses characters above U+00FF. Handing it the UTF-8 bytes as a
 * latin1 string puts exactly those bytes on the wire, which is how Go (kube-apiserver) reads
 * header values; `é` then arrives as `é`, not as the invalid byte 0xE9.
 */
export function headerValue(value: string): string {
  return Buffer.from(value, 'utf8').toString('latin1');
}
