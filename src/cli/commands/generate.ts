import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import {
  allowedNames,
  describeRefusal,
  splitOutcomes,
  writeEvidence,
} from '../../generate/index.js';
import {
  addGenerateOptions,
  coverageNotes,
  describeProfile,
  generateOptionsFrom,
  generationNotes,
  labelWidened,
  readInputsAsEvidence,
  renderGenerated,
  type GenerateCliOptions,
} from '../generate-options.js';
import { err, writeOutput } from '../io.js';
import { POLICY_EXAMPLES, POLICY_HELP, policyWarnings, refusalNote } from '../policy-options.js';
import { hostArch } from '../../arch/host.js';
import { MAX_PENDING } from '../../trace/strace.js';
import { parseArchOption } from '../host.js';

interface GenerateCmdOptions extends GenerateCliOptions {
  from?: string[];
  output?: string;
  evidence?: string;
  host?: string;
  stats?: boolean;
}

/** `sysgate generate --from FILE...`: a least-privilege profile from existing traces, logs or evidence. */
export function register(program: Command): void {
  const cmd = program
    .command('generate')
    .description(
      'generate a least-privilege profile from strace logs (-f, -ff files or a directory of them, -c tables), seccomp audit logs or evidence files',
    )
    .requiredOption('--from <file...>', "inputs ('-' for stdin); the kind of each is detected")
    .option('-o, --output <file>', 'write the profile to FILE (atomically) instead of stdout')
    .option('--evidence <file>', 'also write the merged evidence (JSON) to FILE')
    .option(
      '--host <arch>',
      'native arch of the machine the inputs were recorded on (default: this one)',
    )
    .option(
      '--stats',
      'print a JSON summary to stderr (calls, syscalls, allowed, rules, refusals) instead of the one-line summary',
    );
  addGenerateOptions(cmd).addHelpText(
    'after',
    `
Every allowed syscall comes from the inputs; socket is allowed only for the families seen, clone
only without namespace flags unless they were seen, personality only for the values seen, clone3
is answered with ENOSYS so libc falls back to clone, and the critical syscalls are listed in an
explicit refusal block. Only the native ABI and the compat ABIs the inputs show calls on are
covered (others, e.g. int $0x80 on x86_64, get the kill of an uncovered ABI); with --all-abis,
where socket is filtered by family on x86, socketcall is refused, because libseccomp lets
socketcall(SYS_SOCKET) through whatever the family. Several inputs are merged (per-syscall
coverage = how many saw it).
--widen (default safe) goes beyond the recorded calls, each addition in a rule of its own whose
comment says why, and in the --evidence file's "widened" list: none allows exactly what was seen;
safe adds the other members of each equivalence family of a call allowed for every argument
(nanosleep/clock_nanosleep, stat/lstat/fstat/newfstatat/statx, poll/ppoll/select/pselect6,
epoll_wait/epoll_pwait/epoll_pwait2, dup/dup2/dup3, open/openat/openat2, getdents/getdents64,
pipe/pipe2, accept/accept4...; the table and its glibc/musl/man-page sources are in
src/kb/equivalents.ts), only names the profile's ABIs have and no more risky than the one seen;
families adds, on top, the companions of code paths the inputs show in part (kill for a process
that reaps children, nanosleep/clock_nanosleep for a shell that runs commands, ftruncate for a
writer that syncs at offsets, inotify_rm_watch for a watch added). Widening never adds a
critical or high-risk call, nor a name filtered by argument (socket, clone, clone3, personality),
nor anything for a family whose member has an argument rule. A syscall seen in only some of
several inputs (record --runs) is kept, flagged in its comment, and warned about.
Garbage or truncated lines are warnings with their line number. From seccomp audit records only
calls that ran (LOG, ALLOW) are evidence of need: refused (ERRNO), killed (KILL_*), trapped, traced
and notified records are reported as refusals ("refused, not allowed: ..." on stderr, "refusals"
in --stats) and never become ALLOW. A kernel log (dmesg, journalctl -k, kern.log, audit.log) is
read whole: the records are found among the other lines. Exit 2 when no call that ran is left.
Each rule's comment names the processes that made its syscalls ("used by", from the recorded comm or
executable).
${POLICY_HELP}

Examples:
  strace -f -o app.strace python3 app.py && sysgate generate --from app.strace -o profile.json
  sysgate generate --from traces/ --evidence evidence.json -o profile.json
  sysgate generate --from app.strace --target bare -o bwrap-only.json
  sysgate generate --from run1.json run2.json --mode audit
  sysgate generate --from app.strace --widen none -o exact.json     # only what was seen
  sysgate generate --from run1.json run2.json --widen families --evidence why.json
  journalctl -k | sysgate generate --from - -o from-audit.json
  dmesg | sysgate generate --from - --stats -o from-dmesg.json
${POLICY_EXAMPLES.map((e) => `  sysgate generate --from app.strace ${e}`).join('\n')}`,
  );
  cmd.action(async (opts: GenerateCmdOptions) => {
    const gen = generateOptionsFrom(opts);
    const host = opts.host === undefined ? hostArch() : parseArchOption(opts.host).name;
    const evidence = await readInputsAsEvidence(opts.from ?? [], host);
    // Refused, killed, trapped and traced audit records are never evidence of need.
    const { need, refusals } = splitOutcomes(evidence);
    if (opts.stats !== true)
      for (const r of refusals) err(`refused, not allowed: ${describeRefusal(r)}`);
    if (need.syscalls.length === 0)
      throw new UsageError(
        refusals.length > 0
          ? `the inputs hold no call that ran: ${refusals.length} syscall(s) only refused or killed, which is no reason to allow them`
          : 'the inputs hold no syscalls',
      );
    const { profile, text, widened, overrides, refused } = renderGenerated(evidence, gen);
    if (opts.evidence !== undefined)
      writeOutput(opts.evidence, writeEvidence(labelWidened(evidence, widened)));
    writeOutput(opts.output ?? '-', text);
    if (opts.stats === true) {
      const stats = {
        inputs: evidence.meta.inputs,
        calls: need.totals.calls,
        syscalls: need.syscalls.length,
        allowed: allowedNames(profile).length,
        rules: profile.syscalls.length,
        defaultAction: profile.defaultAction,
        refusals,
        overrides: policyWarnings(overrides).map((w) => w.slice('warning: '.length)),
        refused,
        inFlight: evidence.meta.inFlight ?? { max: MAX_PENDING, dropped: 0 },
        notes: [...generationNotes(profile, gen, host), ...coverageNotes(evidence, widened)],
        widened,
      };
      err(JSON.stringify(stats, null, 2));
    } else {
      err(
        `${need.totals.calls} calls, ${need.syscalls.length} syscalls from ${evidence.meta.inputs} input(s)${refusals.length > 0 ? ` (${refusals.reduce((n, r) => n + r.count, 0)} refused records left out)` : ''}; ${describeProfile(profile)}`,
      );
      const inFlight = evidence.meta.inFlight;
      if (inFlight !== undefined)
        err(
          `${inFlight.dropped} calls still in flight past the cap of ${inFlight.max} were counted as interrupted`,
        );
      for (const w of policyWarnings(overrides)) err(w);
      for (const n of [...generationNotes(profile, gen, host), ...coverageNotes(evidence, widened)])
        err(n);
      const note = refusalNote(refused, profile);
      if (note !== undefined) err(note);
    }
  });
}
