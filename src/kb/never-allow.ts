/**
 * The never-allow list: syscalls a generated profile refuses even when the workload made them
 * (`generate --deny`, whose default is this list). It is the explicit block list of hand-written
 * container profiles whose authors chose each entry with a reason and a risk level
 * (docs/semantics.md#never-allow); the risk level and reason a profile's comments give come from
 * the risk table (`risk-data.ts`), which covers every name here.
 */

/** A hand-written profile whose block list the default never-allow list follows. */
export interface NeverAllowSource {
  /** Short id used in {@link DEFAULT_NEVER_ALLOW}. */
  readonly id: string;
  /** What the source is and where its list sits. */
  readonly title: string;
}

/** The sources of {@link DEFAULT_NEVER_ALLOW}, by id. */
export const NEVER_ALLOW_SOURCES: Readonly<Record<string, NeverAllowSource>> = Object.freeze({
  workspace: {
    id: 'workspace',
    title:
      'seccomp syscall analysis report of a workspace container (Python 3.11, Node.js 20, pip, git; 2026-02-07), profile deployment/seccomp/workspace-seccomp.json, section 4.1 "blocked syscalls" (syscall, category, reason, risk level)',
  },
  nginx: {
    id: 'nginx',
    title:
      'Nginx hardening README for CIS Docker Benchmark 5.30, profile security/seccomp/nginx-seccomp.json, "blocked system calls (high-risk operations)" (syscall, risk)',
  },
});

/**
 * The default never-allow list: every syscall either source blocks by name, with the ids of the
 * sources that list it. The workspace report also blocks `socket(AF_INET)` and `socket(AF_INET6)`,
 * an argument rule rather than a name: `generate --socket-families AF_UNIX` is that decision.
 */
export const DEFAULT_NEVER_ALLOW: Readonly<Record<string, readonly string[]>> = Object.freeze({
  acct: ['workspace', 'nginx'],
  add_key: ['workspace', 'nginx'],
  bpf: ['workspace'],
  clock_settime: ['workspace', 'nginx'],
  delete_module: ['workspace', 'nginx'],
  finit_module: ['workspace', 'nginx'],
  init_module: ['workspace', 'nginx'],
  kexec_load: ['workspace', 'nginx'],
  keyctl: ['workspace', 'nginx'],
  mount: ['workspace', 'nginx'],
  perf_event_open: ['workspace'],
  personality: ['workspace', 'nginx'],
  pivot_root: ['workspace', 'nginx'],
  ptrace: ['workspace', 'nginx'],
  reboot: ['workspace', 'nginx'],
  request_key: ['workspace', 'nginx'],
  setns: ['workspace'],
  settimeofday: ['workspace', 'nginx'],
  swapoff: ['workspace', 'nginx'],
  swapon: ['workspace', 'nginx'],
  syslog: ['nginx'],
  umount2: ['workspace', 'nginx'],
  unshare: ['workspace', 'nginx'],
  userfaultfd: ['workspace'],
});

/** The names of {@link DEFAULT_NEVER_ALLOW}, sorted. */
export function defaultNeverAllow(): readonly string[] {
  return Object.keys(DEFAULT_NEVER_ALLOW).sort();
}
