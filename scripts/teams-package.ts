/**
 * `npm run teams:package`: builds the Microsoft Teams app package to upload (Teams admin center,
 * or Apps → Manage your apps → Upload an app): a zip of manifest.json (from
 * manifests/teams/manifest.json with the app id and developer URL filled in) and the two icons
 * Teams requires, drawn here: `color.png` 192×192 and `outline.png` 32×32 (white on transparent).
 *
 *   TEAMS_APP_ID=<entra app id> TEAMS_DEVELOPER_URL=https://… npm run teams:package [-- --out file.zip]
 *
 * Default output: dist/hoop-teams-app.zip. See docs/teams.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { png, type Rgba } from './lib/png.ts';
import { zip } from './lib/zip.ts';

const root = new URL('../', import.meta.url).pathname;
const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export interface TeamsPackageInput {
  appId: string;
  developerUrl: string;
}

/** The package's bytes; throws a sentence when an input is not what Teams accepts. */
export function teamsPackage(input: TeamsPackageInput): Buffer {
  if (!GUID.test(input.appId))
    throw new Error('TEAMS_APP_ID must be the Entra application (client) id, a GUID');
  let url: URL;
  try {
    url = new URL(input.developerUrl);
  } catch {
    throw new Error('TEAMS_DEVELOPER_URL must be an https URL');
  }
  if (url.protocol !== 'https:') throw new Error('TEAMS_DEVELOPER_URL must be an https URL');
  const template = readFileSync(join(root, 'manifests/teams/manifest.json'), 'utf8');
  const manifest = template
    .replace(/\$\{TEAMS_APP_ID\}/g, input.appId.toLowerCase())
    .replace(/\$\{TEAMS_DEVELOPER_URL\}/g, url.href);
  JSON.parse(manifest);
  return zip([
    { name: 'manifest.json', data: Buffer.from(manifest, 'utf8') },
    { name: 'color.png', data: colorIcon() },
    { name: 'outline.png', data: outlineIcon() },
  ]);
}

/** A navy tile with a white ring (a hoop). */
function colorIcon(): Buffer {
  const navy: Rgba = [0x1d, 0x35, 0x57, 255];
  const white: Rgba = [255, 255, 255, 255];
  return png(192, 192, (x, y) => (ring(x, y, 96, 60, 16) ? white : navy));
}

/** The ring alone, white on transparent, as Teams requires of the outline icon. */
function outlineIcon(): Buffer {
  return png(32, 32, (x, y) => (ring(x, y, 16, 11, 3) ? [255, 255, 255, 255] : [0, 0, 0, 0]));
}

function ring(x: number, y: number, centre: number, radius: number, width: number): boolean {
  const d = Math.hypot(x + 0.5 - centre, y + 0.5 - centre);
  return Math.abs(d - radius) <= width / 2;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({ options: { out: { type: 'string' } } });
  const out = resolve(values.out ?? join(root, 'dist/hoop-teams-app.zip'));
  try {
    const bytes = teamsPackage({
      appId: process.env['TEAMS_APP_ID'] ?? '',
      developerUrl: process.env['TEAMS_DEVELOPER_URL'] ?? '',
    });
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, bytes);
    process.stdout.write(`wrote ${out} (${bytes.length} bytes): upload it in Teams (see docs/teams.md)\n`);
  } catch (error) {
    process.stderr.write(`teams:package: ${(error as Error).message}\n`);
    process.exitCode = 1;
  }
}
