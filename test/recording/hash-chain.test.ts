import { describe, expect, it } from 'vitest';
import { canonicalJson, genesisHash, sealEvent, verifyChain } from '../../src/recording/hash-chain.ts';

function chain(id: string, bodies: Array<Record<string, unknown>>): string[] {
  let prev = genesisHash(id);
  return bodies.map((body, i) => {
    const sealed = sealEvent({ ...body, v: 1, seq: i + 1, prev, ts: 1000 + i, by: 'test' });
    prev = sealed.hash;
    return sealed.line;
  });
}

describe('canonical JSON', () => {
  it('sorts keys at every level and drops undefined', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe(
      '{"a":{"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });
});

describe('hash chain', () => {
  const id = 's-abcdefghjk';
  const lines = chain(id, [
    { type: 'session' },
    { type: 'request', rid: 'r-1' },
    { type: 'response', rid: 'r-1' },
  ]);

  it('verifies an untouched chain and reports its final hash', () => {
    const result = verifyChain(id, lines);
    expect(result).toMatchObject({ ok: true, count: 3 });
    const last = JSON.parse(lines[2]!) as { hash: string };
    expect(result.ok && result.finalHash).toBe(last.hash);
  });

  it('detects a changed byte on the line where it happened', () => {
    const tampered = [...lines];
    tampered[1] = tampered[1]!.replace('"r-1"', '"r-2"');
    expect(verifyChain(id, tampered)).toMatchObject({
      ok: false,
      line: 2,
      reason: 'content does not match its hash',
    });
  });

  it('detects added whitespace, a removed event, reordering and another session', () => {
    const spaced = [...lines];
    spaced[0] = spaced[0]!.replace(':', ': ');
    expect(verifyChain(id, spaced)).toMatchObject({ ok: false, line: 1 });
    expect(verifyChain(id, [lines[0]!, lines[2]!])).toMatchObject({ ok: false, line: 2 });
    expect(verifyChain(id, [lines[1]!, lines[0]!, lines[2]!])).toMatchObject({ ok: false, line: 1 });
    expect(verifyChain('s-0000000000', lines)).toMatchObject({ ok: false, line: 1 });
  });

  it('detects a cut-off tail against the index', () => {
    const final = (JSON.parse(lines[2]!) as { hash: string }).hash;
    expect(verifyChain(id, lines.slice(0, 2), { count: 3, finalHash: final })).toMatchObject({ ok: false });
    expect(verifyChain(id, lines, { count: 3, finalHash: final })).toMatchObject({ ok: true });
  });

  it('reports a line that is not JSON', () => {
    expect(verifyChain(id, [lines[0]!, '{broken'])).toMatchObject({
      ok: false,
      line: 2,
      reason: 'not valid JSON',
    });
  });
});
