import { afterAll, beforeAll, beforeEach, expect } from 'vitest';
import type { Stack } from '../support/stack.ts';
import { countLiveWatches, eventually, type OpenStream, openStream } from './helpers.ts';

export interface StreamingSuite {
  readonly stack: Stack;
  /** A token of `clientId`, issued once the stack started. */
  readonly token: string;
  /** Store subscriptions opened since the stack started and not yet released (= live watches). */
  liveWatches(): number;
  /** Opens a streaming request as the agent, expects 200; closed at the end of the file. */
  open(path: string): Promise<OpenStream>;
}

/**
 * The lifecycle the streaming test files share, registered as the file's hooks: the stack
 * `start` returns and a token of `clientId` before all tests, every test starting with no watch
 * left open upstream by an earlier one, and every stream it opened closed after all tests.
 */
export function streamingSuite(start: () => Promise<Stack>, clientId: string): StreamingSuite {
  let stack: Stack | undefined;
  let token = '';
  let liveWatches: () => number = () => 0;
  const streams: OpenStream[] = [];
  beforeAll(async () => {
    stack = await start();
    token = await stack.issuer.issueToken(clientId);
    liveWatches = countLiveWatches(stack);
  });
  afterAll(async () => {
    for (const stream of streams) stream.req.destroy();
    await stack?.close();
  });
  beforeEach(async () => {
    await eventually(() => liveWatches() === 0, 'no watch left open by an earlier test');
  });
  return {
    get stack() {
      if (!stack) throw new Error('streamingSuite: the stack has not started');
      return stack;
    },
    get token() {
      return token;
    },
    liveWatches: () => liveWatches(),
    async open(path) {
      const stream = await openStream(this.stack, { path, token });
      streams.push(stream);
      expect(stream.res.statusCode).toBe(200);
      return stream;
    },
  };
}
