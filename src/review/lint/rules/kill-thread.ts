/**
 * kill-thread: SCMP_ACT_KILL or SCMP_ACT_KILL_THREAD kills only the calling thread, so a
 * multi-threaded process keeps running without it and usually hangs.
 */
import { joinPointer } from '../../../document/pointer.js';
import { allowlist, rule } from '../case-kit.js';
import { actionPointer, writesScmpActions } from '../query.js';
import type { LintRule, RawFinding } from '../types.js';

const THREAD_ACTIONS: ReadonlySet<string> = new Set(['SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD']);

const FIX = 'use SCMP_ACT_KILL_PROCESS';

export const killThread: LintRule = {
  meta: {
    id: 'kill-thread',
    severity: 'warning',
    security: false,
    short: 'SCMP_ACT_KILL kills only the calling thread',
    long: 'SCMP_ACT_KILL is SCMP_ACT_KILL_THREAD (runc maps both to SECCOMP_RET_KILL_THREAD): the kernel kills the thread that made the call and leaves the rest of the process running, so a Go or Java program, or any program that waits on that thread, hangs instead of failing. SCMP_ACT_KILL_PROCESS (Linux 4.14) kills the whole process, which is what a profile author usually means; SCMP_ACT_ERRNO lets the program handle the refusal. `--fix` rewrites the action to SCMP_ACT_KILL_PROCESS, which refuses exactly the same calls.',
    sources: ['moby/moby#36830', 'golang/go#30753', 'memcached/memcached#402', 'man 2 seccomp'],
  },
  detect(ctx) {
    const out: RawFinding[] = [];
    const fixable = writesScmpActions(ctx);
    const def = ctx.profile.defaultAction;
    if (def !== undefined && THREAD_ACTIONS.has(def)) {
      const pointer = joinPointer(ctx.doc.pointer ?? '', 'defaultAction');
      out.push({
        pointer,
        message: `the default action ${def} kills only the calling thread: the rest of the process keeps running (and usually hangs); use SCMP_ACT_KILL_PROCESS or SCMP_ACT_ERRNO`,
        ...(fixable
          ? {
              fix: {
                description: FIX,
                edits: [{ op: 'replace', pointer, value: 'SCMP_ACT_KILL_PROCESS' }],
              },
            }
          : {}),
      });
    }
    // Rules runc hands libseccomp (a rule equal to the default is runc-dropped's finding).
    const passed = new Set(
      ctx.records
        .filter((r) => r.runc.kind === 'kept' || r.runc.kind === 'split')
        .map((r) => r.pointer),
    );
    for (const r of ctx.profile.syscalls) {
      if (!THREAD_ACTIONS.has(r.action) || (ctx.plan !== undefined && !passed.has(r.pointer)))
        continue;
      const pointer = actionPointer(ctx, r);
      out.push({
        pointer,
        message: `${r.action} kills only the thread calling ${r.names.join(', ')}: the rest of the process keeps running (and usually hangs); use SCMP_ACT_KILL_PROCESS or SCMP_ACT_ERRNO`,
        syscalls: r.names,
        ...(fixable
          ? {
              fix: {
                description: FIX,
                edits: [{ op: 'replace', pointer, value: 'SCMP_ACT_KILL_PROCESS' }],
              },
            }
          : {}),
      });
    }
    return out;
  },
  cases: {
    valid: [
      { name: 'KILL_PROCESS', profile: allowlist(rule(['ptrace'], 'SCMP_ACT_KILL_PROCESS')) },
      { name: 'ERRNO default', profile: allowlist() },
    ],
    invalid: [
      {
        name: 'a KILL rule',
        profile: allowlist(rule(['ptrace'], 'SCMP_ACT_KILL')),
        pointers: ['/syscalls/1/action'],
        fixed: allowlist(rule(['ptrace'], 'SCMP_ACT_KILL_PROCESS')),
      },
      {
        name: 'KILL_THREAD as the default',
        profile: {
          defaultAction: 'SCMP_ACT_KILL_THREAD',
          syscalls: [rule(['read', 'write', 'exit_group'], 'SCMP_ACT_ALLOW')],
        },
        pointers: ['/defaultAction'],
        fixed: {
          defaultAction: 'SCMP_ACT_KILL_PROCESS',
          syscalls: [rule(['read', 'write', 'exit_group'], 'SCMP_ACT_ALLOW')],
        },
      },
    ],
  },
};
