import { createPrivateKey } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateDecisionKeyPair } from '../src/approvals/signing/decision-keys.ts';

/**
 * The demo's chat bots, switched on by the environment so a newcomer can connect the demo to a
 * real workspace without writing a config:
 *
 * - Slack in Socket Mode (no public endpoint needed) when `SLACK_BOT_TOKEN` (xoxb-…) and
 *   `SLACK_APP_TOKEN` (xapp-…) are set; cards go to `SLACK_CHANNEL`, and the Slack user
 *   `SLACK_APPROVER` (a member id such as U0123ABC) decides as the demo's approver.
 *   `SLACK_API_URL` points the bot at another Web API (tests use a local stand-in).
 * - Microsoft Teams when `TEAMS_APP_ID`, `TEAMS_APP_PASSWORD` and `TEAMS_CHANNEL` are set; its
 *   messaging endpoint listens on `TEAMS_PORT` (default 3978), which Teams must reach, and the
 *   Entra user `TEAMS_APPROVER` (object id) decides as the demo's approver.
 *
 * Tokens stay in the environment: the written hoop.yaml holds `${NAME}` placeholders for them.
 */
/** A `${NAME}` placeholder, which the config loader fills from the environment. */
const envRef = (name: string): string => `\${${name}}`;

export interface DemoChat {
  /** `slack:` and `teams:` sections for hoop.yaml, as configured by the environment. */
  sections: Record<string, unknown>;
  /** One line per platform for the banner. */
  banner: string[];
}

export function demoChat(env: NodeJS.ProcessEnv, approverId: string): DemoChat | undefined {
  const sections: Record<string, unknown> = {};
  const banner: string[] = [];
  if (env['SLACK_BOT_TOKEN'] && env['SLACK_APP_TOKEN']) {
    const approver = env['SLACK_APPROVER'];
    sections['slack'] = {
      mode: 'socket',
      botToken: envRef('SLACK_BOT_TOKEN'),
      appToken: envRef('SLACK_APP_TOKEN'),
      ...(env['SLACK_CHANNEL'] ? { channel: env['SLACK_CHANNEL'] } : {}),
      ...(env['SLACK_API_URL'] ? { apiUrl: env['SLACK_API_URL'] } : {}),
      approvers: { users: approver ? { [approver]: approverId } : {} },
    };
    banner.push(
      `Slack: Socket Mode, cards in ${env['SLACK_CHANNEL'] ?? '(no SLACK_CHANNEL set: none posted)'}; ` +
        (approver
          ? `${approver} approves as ${approverId}`
          : 'set SLACK_APPROVER=<member id> to approve there'),
    );
  }
  if (env['TEAMS_APP_ID'] && env['TEAMS_APP_PASSWORD'] && env['TEAMS_CHANNEL']) {
    const approver = env['TEAMS_APPROVER'];
    const port = Number(env['TEAMS_PORT'] ?? 3978);
    sections['teams'] = {
      appId: envRef('TEAMS_APP_ID'),
      appPassword: envRef('TEAMS_APP_PASSWORD'),
      channel: env['TEAMS_CHANNEL'],
      listen: { host: '0.0.0.0', port },
      approvers: { users: approver ? { [approver]: approverId } : {} },
    };
    banner.push(
      `Teams: messaging endpoint on port ${port} (/api/messages); ` +
        (approver
          ? `${approver} approves as ${approverId}`
          : 'set TEAMS_APPROVER=<object id> to approve there'),
    );
  }
  return banner.length > 0 ? { sections, banner } : undefined;
}

/**
 * The bot's decision key, created once in `dir/keys/bot.key` (0600) and kept across restarts; the
 * gateway trusts it through `approvals.signing.botPrivateKey`. Returns that config value.
 */
export async function demoBotKey(dir: string): Promise<string> {
  const file = join(dir, 'keys', 'bot.key');
  try {
    createPrivateKey(await readFile(file, 'utf8'));
  } catch {
    await mkdir(join(dir, 'keys'), { recursive: true, mode: 0o700 });
    await writeFile(file, generateDecisionKeyPair().privatePem, { mode: 0o600 });
  }
  return 'keys/bot.key';
}
