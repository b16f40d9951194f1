import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { createAuthenticator } from '../../gateway/authn/authenticator.ts';
import { buildStages } from '../../gateway/chain.ts';
import type { GatewayRuntime } from '../../gateway/runtime.ts';
import { compileMaskingPolicy } from '../../src/masking/policy.ts';
import { evaluate } from '../../src/policy/evaluate.ts';
import { loadPolicy } from '../../src/policy/load.ts';
import { memoryLogger } from '../support/memory-logger.ts';

/**
 * docs/architecture.md documents the request pipeline as a table under `## The request pipeline`:
 * one row per stage, in execution order, the stage's function name in backticks in the first
 * column. This test reads that table and compares it with the real chain (`buildStages`, each
 * stage named after the function that made it), so the document cannot drift from the code.
 */

const DOC = new URL('../../docs/architecture.md', import.meta.url);
const HEADING = '## The request pipeline';

/** The first-column names of the first table after the heading, in order. */
function documentedStages(markdown: string): string[] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.trim() === HEADING);
  if (start === -1) throw new Error(`docs/architecture.md has no "${HEADING}" heading`);
  const rest = lines.slice(start + 1);
  const first = rest.findIndex((line) => line.trimStart().startsWith('|'));
  if (first === -1) throw new Error(`no table under "${HEADING}"`);
  const end = rest.findIndex((line, i) => i > first && !line.trimStart().startsWith('|'));
  const table = rest.slice(first, end === -1 ? undefined : end);
  // Row 0 is the header, row 1 the |---| separator.
  return table.slice(2).map((row) => {
    const cell = row.split('|')[1]?.trim() ?? '';
    const name = /^`([A-Za-z][A-Za-z0-9]*)`$/.exec(cell)?.[1];
    if (!name)
      throw new Error(`a row of the pipeline table does not start with a stage name in backticks: ${row}`);
    return name;
  });
}

/** A runtime with approvals and recording off: building the stages does no I/O. */
function runtime(): GatewayRuntime {
  const policy = loadPolicy({});
  return {
    clusters: new Map(),
    authenticator: createAuthenticator([{ issuer: 'https://issuer.test', audience: 'https://gateway.test' }]),
    policy: { evaluate: (input) => evaluate(policy, input) },
    identity: { userPrefix: 'agent:', groupPrefix: 'agent:', extraGroups: [] },
    masking: compileMaskingPolicy({}),
    logger: memoryLogger().logger,
  };
}

describe('the pipeline table in docs/architecture.md', () => {
  it('lists the stages of the real chain, in its order', async () => {
    const documented = documentedStages(await readFile(DOC, 'utf8'));
    const chain = buildStages(runtime()).map((stage) => stage.name);
    expect(chain.every((name) => name !== '')).toBe(true);
    expect(documented).toEqual(chain);
  });

  it('reads a table the way the lead writes it (and refuses a row it cannot read)', () => {
    const markdown = [
      '# Architecture',
      '',
      HEADING,
      '',
      'Some prose.',
      '',
      '| Stage | What it does |',
      '| ----- | ------------ |',
      '| `first` | does a |',
      '| `second` | does b \\| c |',
      '',
      '| `notInTheTable` | another table |',
    ].join('\n');
    expect(documentedStages(markdown)).toEqual(['first', 'second']);
    expect(() => documentedStages(markdown.replace('`second`', 'second'))).toThrow(/stage name in backticks/);
    expect(() => documentedStages('## Other')).toThrow(/no "## The request pipeline" heading/);
  });
});
