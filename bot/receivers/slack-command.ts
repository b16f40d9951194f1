import type { App, RespondArguments } from '@slack/bolt';
import type { Logger } from 'pino';
import { answerCommand } from '../dispatch/commands.ts';
import type { DispatchDeps } from '../dispatch/deps.ts';
import { parseCommand } from '../model/command.ts';
import type { ChatActor } from '../model/interaction.ts';
import type { Reply } from '../model/reply.ts';
import { replyMessage } from '../render/slack/reply-blocks.ts';

/**
 * The `/hoop` slash command, wired into bolt. Slack needs the HTTP answer within 3 s: the answer
 * is computed with a 2 s budget and, when ready, sent as the ack itself (one round trip, works in
 * DMs where the bot is not a member). When Redis is slow the command is acked empty at 2 s and
 * the answer follows through the command's `response_url`, so a slow store never shows the user
 * Slack's "operation_timeout".
 */
export const COMMAND = '/hoop';
const BUDGET_MS = 2000;

export function registerCommand(app: App, deps: DispatchDeps, logger?: Logger): void {
  app.command(COMMAND, async ({ command, ack, respond }) => {
    const parsed = parseCommand(command.text ?? '');
    const actor: ChatActor = {
      platform: 'slack',
      userId: command.user_id,
      ...(command.user_name ? { name: command.user_name } : {}),
    };
    const answer = answerCommand(deps, parsed, actor).catch((error: unknown): Reply => {
      logger?.error({ err: error, subcommand: parsed.name }, '/hoop failed');
      return {
        visibility: 'ephemeral',
        lines: [[{ text: 'Something went wrong answering that; the bot log has details.' }]],
      };
    });
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), BUDGET_MS);
    });
    const early = await Promise.race([answer, late]);
    clearTimeout(timer);
    if (early) {
      await ack(toSlack(early));
      return;
    }
    await ack();
    await respond(toSlack(await answer));
  });
}

function toSlack(reply: Reply): RespondArguments {
  const message = replyMessage(reply);
  return {
    response_type: reply.visibility === 'shared' ? 'in_channel' : 'ephemeral',
    text: message.text,
    blocks: message.blocks,
  };
}
