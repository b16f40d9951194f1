/** What a channel-3 Status of an exec/attach stream says about how the command ended. */
export interface ExitSummary {
  exitCode: number | undefined;
  status: { status: string; reason?: string; message?: string } | undefined;
}

/** The exit code a channel-3 Status reports: 0 on Success, N for NonZeroExitCode, else undefined. */
export function exitStatus(payload: Uint8Array): ExitSummary {
  try {
    const status = JSON.parse(Buffer.from(payload).toString('utf8')) as {
      status?: string;
      reason?: string;
      message?: string;
      details?: { causes?: Array<{ reason?: string; message?: string }> };
    };
    const summary = {
      status: status.status ?? 'Unknown',
      ...(status.reason ? { reason: status.reason } : {}),
      ...(status.message ? { message: status.message.slice(0, 500) } : {}),
    };
    if (status.status === 'Success') return { exitCode: 0, status: summary };
    const cause = status.details?.causes?.find((c) => c.reason === 'ExitCode');
    const code = cause?.message !== undefined ? Number(cause.message) : Number.NaN;
    return {
      exitCode: status.reason === 'NonZeroExitCode' && Number.isInteger(code) ? code : undefined,
      status: summary,
    };
  } catch {
    return { exitCode: undefined, status: undefined };
  }
}
