import { afterEach, expect, it } from 'vitest';
import type { ImpactPreview } from '../../src/approvals/impact.types.ts';
import { type BotHarness, blocksText, clickBody, postSigned, startBotHarness } from './harness.ts';

/**
 * Issue 18 on the Slack card: the impact preview's short form on the card, and "Show details"
 * opening a read-only modal with every line, through the Slack stand-in over signed HTTP.
 */
let h: BotHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const IMPACT: ImpactPreview = {
  kind: 'delete',
  complete: true,
  problems: [],
  affected: [
    { kind: 'Pod', resource: 'pods', count: 3, names: ['web-1', 'web-2', 'web-3'] },
    { kind: 'Deployment', resource: 'deployments', count: 1, names: ['<!channel>'] },
  ],
  tookMs: 12,
};

it('the card shows the preview in short; Show details opens a modal with every line', async () => {
  h = await startBotHarness();
  const review = await h.open({ impact: IMPACT });
  const post = await h.slack.waitFor('chat.postMessage', (c) =>
    JSON.stringify(c.args['blocks']).includes(review.id),
  );
  const text = blocksText(post.args['blocks']);
  expect(text).toContain('*Impact preview*');
  expect(text).toContain('would delete 4 objects: 3 Pod, 1 Deployment');
  expect(JSON.stringify(post.args['blocks'])).toContain('hoop_impact_details');

  await postSigned(
    h.eventsUrl,
    clickBody({ user: 'U0MALLORY', actionId: 'hoop_impact_details', value: review.id }),
  );
  const open = await h.slack.waitFor('views.open');
  const view = open.args['view'] as { blocks: unknown };
  const details = blocksText(view.blocks);
  expect(details).toContain('3 Pod (pods): web-1, web-2, web-3');
  // Caller-controlled names are escaped, never sent as mentions.
  expect(details).toContain('&lt;!channel&gt;');
  expect(details).not.toContain('<!channel>');
  expect((await h.store.get(review.id))?.state).toBe('pending');
});

it('a review without a preview gets no preview section and no Show details button', async () => {
  h = await startBotHarness();
  const review = await h.open();
  const post = await h.slack.waitFor('chat.postMessage', (c) =>
    JSON.stringify(c.args['blocks']).includes(review.id),
  );
  expect(JSON.stringify(post.args['blocks'])).not.toContain('hoop_impact_details');
  expect(blocksText(post.args['blocks'])).not.toContain('Impact preview');
});
