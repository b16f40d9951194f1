import { inflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { teamsPackage } from '../../scripts/teams-package.ts';

/** The entries of a zip, read from its central directory (what Teams' uploader reads). */
function unzip(bytes: Buffer): Map<string, Buffer> {
  const end = bytes.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = bytes.readUInt16LE(end + 10);
  let at = bytes.readUInt32LE(end + 16);
  const entries = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    expect(bytes.readUInt32LE(at)).toBe(0x02014b50);
    const size = bytes.readUInt32LE(at + 20);
    const nameLength = bytes.readUInt16LE(at + 28);
    const extra = bytes.readUInt16LE(at + 30) + bytes.readUInt16LE(at + 32);
    const local = bytes.readUInt32LE(at + 42);
    const name = bytes.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    const start = local + 30 + bytes.readUInt16LE(local + 26) + bytes.readUInt16LE(local + 28);
    entries.set(name, inflateRawSync(bytes.subarray(start, start + size)));
    at += 46 + nameLength + extra;
  }
  return entries;
}

const APP_ID = '0B0B0B0B-1111-2222-3333-444444444444';

describe('npm run teams:package', () => {
  it('zips the manifest (bot id filled in, hoop commands declared) and the two icons Teams requires', () => {
    const entries = unzip(teamsPackage({ appId: APP_ID, developerUrl: 'https://hoop.example.com' }));
    expect([...entries.keys()]).toEqual(['manifest.json', 'color.png', 'outline.png']);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    expect(manifest.manifestVersion).toBe('1.22');
    expect(manifest.id).toBe(APP_ID.toLowerCase());
    expect(manifest.bots[0].botId).toBe(APP_ID.toLowerCase());
    expect(manifest.developer.websiteUrl).toBe('https://hoop.example.com/');
    expect(manifest.bots[0].commandLists[0].commands.map((c: { title: string }) => c.title)).toEqual([
      'help',
      'pending',
      'sessions',
      'show',
      'approve',
      'reject',
    ]);
    expect(JSON.stringify(manifest)).not.toContain('${');
    for (const [name, size] of [
      ['color.png', 192],
      ['outline.png', 32],
    ] as const) {
      const icon = entries.get(name)!;
      expect(icon.subarray(1, 4).toString('ascii')).toBe('PNG');
      expect(icon.readUInt32BE(16)).toBe(size);
      expect(icon.readUInt32BE(20)).toBe(size);
    }
  });

  it('refuses an app id that is not a GUID and a developer URL that is not https, in a sentence', () => {
    expect(() => teamsPackage({ appId: 'hoop', developerUrl: 'https://x.example' })).toThrow(/GUID/);
    expect(() => teamsPackage({ appId: APP_ID, developerUrl: 'http://x.example' })).toThrow(/https/);
  });
});
