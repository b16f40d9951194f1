import { describe, expect, it } from 'vitest';
import { UsageError } from '../../cli/args.ts';
import { SessionNotFoundError } from '../../cli/sessions-source.ts';
import { ConfigError } from '../../src/errors.ts';

describe('ConfigError', () => {
  it('keeps the field and the problem apart', () => {
    const error = new ConfigError('issuers[0].url', 'must be https');
    expect(error.message).toBe('issuers[0].url: must be https');
    expect(error.problem).toBe('must be https');
  });

  it('within(prefix) places the field inside a section or a file', () => {
    const inner = new ConfigError('issuers[0].url', 'must be https');
    const section = inner.within('authentication.');
    expect(section).toBeInstanceOf(ConfigError);
    expect(section.field).toBe('authentication.issuers[0].url');
    expect(section.message).toBe('authentication.issuers[0].url: must be https');
    expect(section.within('/etc/hoop.yaml: ').message).toBe(
      '/etc/hoop.yaml: authentication.issuers[0].url: must be https',
    );
  });
});

describe('UsageError', () => {
  it('is the class every usage mistake is an instance of', () => {
    expect(new SessionNotFoundError('no session s-1')).toBeInstanceOf(UsageError);
  });
});
