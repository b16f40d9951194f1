import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shellQuote } from '../../cli/shell-quote.ts';

/** Printed commands paste back into a shell as the same arguments. */
describe('shellQuote', () => {
  it('leaves safe words alone and quotes the rest', () => {
    expect(shellQuote('/tmp/demo/hoop.yaml')).toBe('/tmp/demo/hoop.yaml');
    expect(shellQuote('on call')).toBe("'on call'");
    expect(shellQuote('')).toBe("''");
  });

  it('round-trips through sh', () => {
    for (const word of ["it's", 'a b', '$HOME', '`id`', 'x"y', 'back\\slash', '*', '']) {
      const echoed = execFileSync('sh', ['-c', `printf %s ${shellQuote(word)}`], { encoding: 'utf8' });
      expect(echoed).toBe(word);
    }
  });
});
