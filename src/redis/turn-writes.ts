import { Cluster, type Redis } from 'ioredis';
import type { RedisConnection } from '../queues/connections.ts';
import { WrittenCommand } from './written-command.ts';

/**
 * Makes the commands a connection sends within one turn of the event loop reach its socket in one
 * write. ioredis writes every command to the socket as it is sent, and on loopback a write cost the
 * sender 10–25 µs of CPU in the bench's measurements (the system call carries the receiver's side
 * of TCP too), about as much as building a small script call. A gateway recording many sessions
 * sends several script calls a turn (each session's append for the requests read in that turn), so
 * the socket is corked at the first command of a turn and uncorked once the turn's I/O callbacks
 * have run (`setImmediate`): the turn's commands leave in one `writev`, and Redis reads and answers
 * them together. A command waits at most for the rest of its turn.
 *
 * Nothing else changes: ioredis keeps each command in its queue of commands awaiting a reply as
 * before (a connection lost while corked fails or resends them as if they had been written), and
 * the order of the commands on the connection is the order they were sent in. On a Cluster every
 * node's connection is corked on its own, as nodes come and go.
 *
 * A command written in place (written-command.ts: a stream's batch of frames, hundreds of KB) does
 * not start a held turn: it fills a write of its own, and holding it back only kept Redis idle
 * longer while a recorded `exec` waited for it (0.93× the throughput in pairs, docs/performance.md).
 */
export function writeOncePerTurn(connection: RedisConnection): void {
  if (connection instanceof Cluster) {
    for (const node of connection.nodes()) corkEachTurn(node);
    connection.on('+node', (node: Redis) => corkEachTurn(node));
  } else corkEachTurn(connection);
}

const installed = new WeakSet<Redis>();

function corkEachTurn(redis: Redis): void {
  if (installed.has(redis)) return;
  installed.add(redis);
  const send = redis.sendCommand.bind(redis);
  let corked = false;
  redis.sendCommand = ((...args: Parameters<typeof send>) => {
    // The socket of this moment: a reconnect replaces it, and the one corked is the one uncorked.
    const socket = redis.stream;
    if (!corked && socket !== undefined && !socket.destroyed && !(args[0] instanceof WrittenCommand)) {
      corked = true;
      socket.cork();
      setImmediate(() => {
        corked = false;
        socket.uncork();
      });
    }
    return send(...args);
  }) as typeof send;
}
