/**
 * Crashes seen in a trace: a process killed by a signal that means it failed on its own (a fault, an
 * abort, a seccomp kill), as opposed to being told to stop (SIGTERM, SIGKILL, SIGINT...). Advice and
 * generation from such a recording cover only what the workload did before it crashed.
 */
import type { StraceEvent } from '../trace/strace.js';

/** Signals a process dies of when it fails by itself (SIGSYS: a seccomp kill or a bad syscall). */
export const CRASH_SIGNALS: ReadonlySet<string> = new Set([
  'SIGSEGV',
  'SIGBUS',
  'SIGILL',
  'SIGFPE',
  'SIGABRT',
  'SIGSYS',
  'SIGTRAP',
]);

/** At most this many crashes are kept in the evidence. */
export const MAX_CRASHES = 16;

/** `pid 15389 killed by SIGSEGV (trace line 4)` for a crash exit event, else undefined. */
export function crashOf(e: StraceEvent, source: string): string | undefined {
  if (e.kind !== 'exit' || e.signal === undefined || !CRASH_SIGNALS.has(e.signal)) return undefined;
  return `pid ${e.tid} killed by ${e.signal} (${source} line ${e.line})`;
}

/** Collects crash descriptions, capped at {@link MAX_CRASHES}. */
export class CrashLog {
  readonly crashes: string[] = [];

  /** Note `e` when it is a crash. */
  add(e: StraceEvent, source: string): void {
    const c = crashOf(e, source);
    if (c !== undefined && this.crashes.length < MAX_CRASHES) this.crashes.push(c);
  }
}
