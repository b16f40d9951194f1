/**
 * Child process of the masking benchmark: streams a generated SecretList of `items` Secrets
 * through either the response masker or a plain PassThrough into a sink that drops it, then
 * prints `{"peakRssMb":…,"startRssMb":…,"bytes":…,"masked":…}`. A separate process per variant,
 * so each peak RSS is that variant's own and not left over from the other; `startRssMb` is the
 * RSS once everything is loaded, before the first byte, so peak minus start is what streaming
 * the body cost.
 *
 * Usage: node bench/masking-rss.ts <masker|passthrough> <items>
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createResponseMasker, planMasking } from '../gateway/masking/index.ts';
import { compileMaskingPolicy } from '../src/masking/policy.ts';
import { benchPlanInputs, secretListChunks } from './masking-body.ts';

async function main(): Promise<void> {
  const [variant = 'masker', itemsArg = '1000'] = process.argv.slice(2);
  const { info, caller } = benchPlanInputs();
  const plan = planMasking(info, caller, compileMaskingPolicy(undefined), 'GET');
  if (plan === null) throw new Error('no masking plan for secrets');
  const masker =
    variant === 'passthrough'
      ? null
      : createResponseMasker(plan, {
          statusCode: 200,
          contentType: 'application/json',
          contentEncoding: undefined,
        });
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  const startRssMb = process.memoryUsage.rss() / (1024 * 1024);
  await pipeline(Readable.from(secretListChunks(Number(itemsArg))), masker ?? new PassThrough(), sink);
  const masked = masker?.maskedCount() ?? 0;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`${JSON.stringify({ peakRssMb, startRssMb, bytes, masked })}\n`);
}

await main();
