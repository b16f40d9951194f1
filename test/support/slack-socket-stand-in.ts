import type { Server } from 'node:http';
import { type WebSocket, WebSocketServer } from 'ws';

/**
 * Socket Mode on the Slack stand-in: `apps.connections.open` hands out a `ws://` URL on the
 * stand-in's own server; a client that connects gets Slack's `hello`, and the test can push
 * envelopes (`slash_commands`, `interactive`) and read the client's acks, which carry the
 * `envelope_id` and, for commands, the response payload.
 */
export interface SocketModeStandIn {
  /** The URL `apps.connections.open` returns. */
  url: string;
  /** Resolves once a client is connected (and has been sent `hello`). */
  connected(): Promise<void>;
  /** Sends an envelope and resolves with the client's ack. */
  send(
    type: 'slash_commands' | 'interactive',
    payload: unknown,
  ): Promise<{ envelope_id: string; payload?: unknown }>;
  close(): void;
}

export function attachSocketMode(server: Server, baseUrl: string): SocketModeStandIn {
  const wss = new WebSocketServer({ server, path: '/socket' });
  let client: WebSocket | undefined;
  let onConnect: (() => void) | undefined;
  const acks = new Map<string, (ack: { envelope_id: string; payload?: unknown }) => void>();
  let counter = 0;
  wss.on('connection', (socket) => {
    client = socket;
    socket.on('message', (data) => {
      const ack = JSON.parse(String(data)) as { envelope_id: string; payload?: unknown };
      acks.get(ack.envelope_id)?.(ack);
    });
    socket.send(
      JSON.stringify({
        type: 'hello',
        num_connections: 1,
        debug_info: { host: 'stand-in', approximate_connection_time: 3600 },
        connection_info: { app_id: 'A0HOOP' },
      }),
    );
    onConnect?.();
  });
  return {
    url: `${baseUrl.replace(/^http/, 'ws')}/socket`,
    connected: () =>
      client
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            onConnect = resolve;
          }),
    send: (type, payload) =>
      new Promise((resolve, reject) => {
        if (!client) return reject(new Error('no Socket Mode client connected'));
        const envelope_id = `env-${++counter}`;
        acks.set(envelope_id, resolve);
        client.send(
          JSON.stringify({
            envelope_id,
            type,
            payload,
            accepts_response_payload: type === 'slash_commands',
            retry_attempt: 0,
            retry_reason: '',
          }),
        );
      }),
    close: () => {
      for (const socket of wss.clients) socket.terminate();
      wss.close();
    },
  };
}
