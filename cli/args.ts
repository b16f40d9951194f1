import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A mistake in how a command was invoked; bin/hoop-gateway.ts prints its message without a stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** node:util parseArgs, with its errors turned into UsageError so a person sees one readable line. */
export function parseCommandArgs<T extends ParseArgsConfig['options']>(
  args: string[],
  options: T,
  allowPositionals = true,
) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
