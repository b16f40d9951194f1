/**
 * Whether a connection whose status is `end` is over for good. A Sentinel connection that ioredis
 * ends by itself (the failover race in queues/connections.ts) is connected again shortly after;
 * until someone closes it on purpose, callers wait for it instead of giving up.
 */

interface Revival {
  closing: boolean;
}

const revivals = new WeakMap<object, Revival>();

/** Registers `connection` as one that is connected again after an unplanned end; returns its state. */
export function registerRevival(connection: object): Revival {
  const revival = { closing: false };
  revivals.set(connection, revival);
  return revival;
}

export function endedForGood(connection: { status: string }): boolean {
  if (connection.status !== 'end') return false;
  const revival = revivals.get(connection);
  return revival === undefined || revival.closing;
}
