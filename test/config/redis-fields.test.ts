import { describe, expect, it } from 'vitest';
import { approvalsSchema } from '../../src/config/approvals.ts';
import { recordingSchema } from '../../src/config/recording.ts';

/**
 * The Redis fields the `approvals:` and `recording:` sections share (src/config/redis-fields.ts):
 * checked alike in both, each section keeping its own default.
 */
const sections = { approvals: approvalsSchema, recording: recordingSchema };

function messages(result: { success: boolean; error?: { issues: Array<{ message: string }> } }): string[] {
  return result.error?.issues.map((issue) => issue.message) ?? [];
}

describe('redisUrl and keyPrefix', () => {
  for (const [name, schema] of Object.entries(sections)) {
    it(`are checked the same way in ${name}:`, () => {
      expect(
        schema.safeParse({ redisUrl: 'rediss://redis:6380', keyPrefix: 'hoop:{prod}.eu-1' }).success,
      ).toBe(true);
      expect(messages(schema.safeParse({ redisUrl: 'http://redis:6379' }))).toEqual([
        'a redis:// or rediss:// URL',
      ]);
      for (const keyPrefix of ['', 'hoop:', ':hoop', 'a b', 'hoop::x', 'hoop*']) {
        expect(messages(schema.safeParse({ keyPrefix }))).toEqual([
          'letters, digits, "_-.{}" and ":" separators',
        ]);
      }
    });
  }

  it('keep each section’s default', () => {
    expect(approvalsSchema.parse({}).keyPrefix).toBe('hoop');
    expect(approvalsSchema.parse({}).redisUrl).toBeUndefined();
    expect(recordingSchema.parse({}).keyPrefix).toBeUndefined();
    expect(recordingSchema.parse({}).redisUrl).toBeUndefined();
  });
});
