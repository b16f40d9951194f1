import type { ChainVerification } from '../../../api.types.ts';

/** The hash chain's verdict, in words: tampering must be impossible to miss. */
export function ChainBadge({ chain, open }: { chain: ChainVerification; open: boolean }) {
  if (chain.state === 'verified' && open) {
    // While the session runs, the index is a step behind or ahead of what was read: no verdict on it yet.
    return (
      <p class="chain ok" data-testid="chain">
        <strong>Recording verified so far</strong>: all {chain.events} events recorded until now are intact.
      </p>
    );
  }
  if (chain.state === 'verified') {
    return (
      <p class={chain.matchesIndex ? 'chain ok' : 'chain broken'} data-testid="chain">
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
