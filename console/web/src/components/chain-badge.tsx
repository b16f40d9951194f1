import type { ChainVerification } from '../../../api.types.ts';

/** The hash chain's verdict, in words: tampering must be impossible to miss. */
export function ChainBadge({ chain }: { chain: ChainVerification }) {
  if (chain.state === 'verified') {
    return (
      <p class="chain ok" data-testid="chain">
        <strong>Recording verified</strong>: all {chain.events} events are intact
        {chain.matchesIndex
          ? ''
          : ', but their count or final hash differs from the index (events may be missing)'}
        .
      </p>
    );
  }
  return (
    <p class="chain broken" data-testid="chain" role="alert">
      <strong>Recording broken</strong> at{' '}
      {chain.atEvent === undefined ? `line ${chain.line}` : `event ${chain.atEvent}`}: {chain.reason}. Events
      from there on cannot be trusted.
    </p>
  );
}
