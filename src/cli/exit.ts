/** Exit codes shared by every command. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** Findings, differences or failed tests. */
  findings: 1,
  /** Bad input or usage. */
  badInput: 2,
  /** A runtime (strace, bwrap, runc, crun, docker) is missing or failed. */
  runtime: 3,
  /** A bug in sysgate. */
  internal: 70,
} as const;

/** One of the exit codes above. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

let requested: ExitCode = EXIT.ok;

/** A command asks for a non-zero exit once it has finished (e.g. findings); the highest request wins. */
export function requestExit(code: ExitCode): void {
  if (code > requested) requested = code;
}

/** Read and reset the requested exit code (main.ts only). */
export function takeRequestedExit(): ExitCode {
  const c = requested;
  requested = EXIT.ok;
  return c;
}
