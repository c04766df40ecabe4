import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import {
  recordRuns,
  SECCOMP_UNSEEN,
  writeEvidence,
  type RecordProgress,
  type RecordVia,
} from '../../generate/index.js';
import { notifrecPath } from '../../run/native.js';
import { requestExit, type ExitCode } from '../exit.js';
import { err, Progress, writeOutput } from '../io.js';
import {
  addGenerateOptions,
  coverageNotes,
  describeProfile,
  generateOptionsFrom,
  generationNotes,
  labelWidened,
  renderGenerated,
  type GenerateCliOptions,
} from '../generate-options.js';
import {
  DEFAULT_IMAGE,
  PODMAN_DEFAULT_IMAGE,
  defaultImage,
  dockerSandboxArgs,
  ensureImage,
} from '../../run/engines/docker.js';
import {
  addSandboxOptions,
  sandboxOptionsFrom,
  type SandboxCliOptions,
} from '../sandbox-options.js';
import { hostArch } from '../../arch/host.js';
import { POLICY_HELP, policyWarnings } from '../policy-options.js';

interface RecordCmdOptions extends GenerateCliOptions, SandboxCliOptions {
  output?: string;
  evidence?: string;
  saveTrace?: string;
  docker?: string;
  podman?: string;
  dockerArg?: string[];
  pin?: boolean;
  runs?: string;
  varyCpu?: boolean;
  via?: string;
}

const VIAS: readonly RecordVia[] = ['strace', 'seccomp'];

function progressText(p: RecordProgress): string {
  return `recording ${(p.elapsedMs / 1000).toFixed(1)}s: ${p.calls} calls, ${p.syscalls} distinct syscalls, ${p.processes} processes`;
}

/** `sysgate record -- CMD`: trace a workload, write evidence and a least-privilege profile. */
export function register(program: Command): void {
  const cmd = program
    .command('record')
    .description(
      'run a command under strace or a seccomp recorder (every thread and child), write its evidence and a least-privilege profile',
    )
    .argument('[command...]', 'the command to record, after --')
    .option(
      '-o, --output <file>',
      "write the profile to FILE (atomically); '-' for stdout",
      'seccomp-profile.json',
    )
    .option(
      '--via <recorder>',
      'strace (default: sees everything, slower) or seccomp (a user-notification filter: cheaper, sees numbers and argument registers only)',
      'strace',
    )
    .option('--evidence <file>', 'write the evidence (JSON) to FILE')
    .option('--save-trace <dir>', 'keep the raw strace output as DIR/trace.strace')
    .option(
      '--docker <image>',
      'record inside a container of IMAGE (from the entrypoint on; the command after -- overrides it)',
    )
    .option(
      '--podman <image>',
      'record inside a Podman container of IMAGE (as --docker: the same sandbox, Podman run with runc)',
    )
    .option(
      '--docker-arg <arg...>',
      'extra docker (or podman) run options for --docker/--podman (mounts, user, env)',
    )
    .option('--no-pin', 'do not pin strace and the workload to one CPU with taskset')
    .option(
      '--runs <n>',
      'record the command N times and merge the runs: the evidence gives per-syscall coverage (seen in k of N runs) and the profile flags calls only some runs made',
      '1',
    )
    .option(
      '--vary-cpu',
      'with --runs: change scheduling between runs (one CPU, every CPU, each also at nice 19) so threads and processes interleave differently',
    );
  addSandboxOptions(cmd, { image: false });
  addGenerateOptions(cmd).addHelpText(
    'after',
    `
strace runs with -f -n -X raw -Y, writing into a FIFO that is parsed while the command runs (a
progress line is shown on a terminal); strace and the command are pinned to one CPU, which makes
tracing several times faster. The command's exit status is forwarded (with --runs, the first non-zero one). strace must be installed.

--via seccomp records through sysgate's helper notifrec instead (native/notifrec.c, built with
sysgate): it installs a seccomp filter answering SECCOMP_RET_USER_NOTIF for every call on every ABI,
inherited by every thread and child, receives each call on the listener and lets it continue
unchanged (it never refuses or emulates anything). No base set runs unrecorded: a filter is
stateless, so a call it allowed silently would leave no trace and a profile could miss it. Per call
it costs about a quarter of strace's time (docs/benchmarks.md). It cannot see:
${SECCOMP_UNSEEN.map((u) => `  - ${u}`).join('\n')}
The evidence says so (meta.recorder, meta.unseen). It needs no ptrace and no strace, but it cannot
record a workload that installs its own user-notification filter (the kernel allows one listener
per filter chain: EBUSY), and it sets no_new_privs when it lacks CAP_SYS_ADMIN (set-id programs
then run without their privileges). Not with --save-trace.

--runs N records N times one after the other and merges the evidence: "coverage" per syscall is
the number of runs that saw it, and a syscall seen in only some runs is allowed, flagged in its
rule's comment and warned about (a path that depends on timing, such as a pool killing workers
still alive). --widen (default safe) adds the equivalent calls of the ones seen; see generate --help.

With --docker, the host's strace (with its libraries and loader) is mounted into the container
and traces the entrypoint from its execve on; only this recording run gets --cap-add SYS_PTRACE
and seccomp=unconfined (with --via seccomp: the static notifrec is mounted instead, and the run gets
seccomp=unconfined only, since a refusal of Docker's own filter would hide the call). The profile allows what runc and crun do after loading it (the default
--target docker), so it works under every engine; --target bare is tighter, for bwrap only.
The container gets the same sandbox as 'sysgate run --engine docker' (one home for both): no network
unless --net, the current directory read-only (where a command after -- starts; not with --no-cwd),
each --bind SRC[:DST][:rw], the pids and memory limits, and with sysgate's own image
(${DEFAULT_IMAGE}, built on demand) the host's /usr and /etc read-only with its secrets masked.
--docker-arg adds any other docker run option. --podman IMAGE records the same way in a Podman
container (podman run with --runtime runc, sysgate's open-file and process limits and Docker's
default capabilities, as 'sysgate run --engine podman'; sysgate's own image there is
${PODMAN_DEFAULT_IMAGE}).
${POLICY_HELP}

Examples:
  sysgate record -o python.json -- python3 app.py
  sysgate record --evidence ev.json --save-trace traces/ -- git commit -m msg
  sysgate record --mode audit -o audit.json -- node server.js
  sysgate record --docker myimage:latest -o image.json
  sysgate record --docker alpine -o ls.json -- ls /
  sysgate record --podman ${PODMAN_DEFAULT_IMAGE} -o py.json -- python3 app.py
  sysgate record --docker ${DEFAULT_IMAGE} -o py.json -- python3 app.py   # the host's python3
  sysgate record --target bare -o tight.json -- python3 app.py   # for bwrap only
  sysgate record --via seccomp --evidence ev.json -o dd.json -- dd if=/dev/zero of=/dev/null bs=1 count=200000
  sysgate record --runs 5 --vary-cpu --evidence ev.json -o pool.json -- python3 pool.py
  sysgate record --widen none -o exact.json -- sh ready.sh   # exactly what was seen
  sysgate record --socket-families AF_UNIX --deny +io_uring_setup -o app.json -- python3 app.py`,
  );
  cmd.action(async (argv: string[], opts: RecordCmdOptions) => {
    const gen = generateOptionsFrom(opts);
    const runs = Number(opts.runs ?? '1');
    if (!/^\d+$/.test(opts.runs ?? '1') || runs < 1 || runs > 100)
      throw new UsageError(`--runs must be a whole number from 1 to 100, not '${opts.runs ?? ''}'`);
    if (opts.varyCpu === true && runs < 2)
      throw new UsageError('--vary-cpu changes scheduling between runs: give --runs 2 or more');
    if (opts.docker !== undefined && opts.podman !== undefined)
      throw new UsageError('give --docker or --podman, not both');
    // One container path for both engines: `cli` picks the client and its sandbox arguments.
    const cli = opts.podman !== undefined ? 'podman' : 'docker';
    const wanted = opts.podman ?? opts.docker;
    if (argv.length === 0 && wanted === undefined)
      throw new UsageError(
        'give the command to record after --, e.g. sysgate record -- python3 app.py',
      );
    const via = (opts.via ?? 'strace') as RecordVia;
    if (!VIAS.includes(via))
      throw new UsageError(`--via must be ${VIAS.join(' or ')}, not '${opts.via ?? ''}'`);
    if (via === 'seccomp' && opts.saveTrace !== undefined)
      throw new UsageError(
        '--save-trace keeps strace text; --via seccomp writes binary records: use --via strace',
      );
    const sandbox = sandboxOptionsFrom(opts);
    if (wanted === undefined && ((opts.bind ?? []).length > 0 || opts.net === true))
      throw new UsageError(
        `${opts.net === true ? '--net' : '--bind'} applies to --docker recordings (a host recording sees the host)`,
      );
    // sysgate's own image is built on demand, as for run; any other image must be there already.
    const own = wanted === DEFAULT_IMAGE || wanted === defaultImage(cli);
    const image = own ? await ensureImage(undefined, cli) : wanted;
    const dockerArgs = [
      ...dockerSandboxArgs({
        cli,
        ...(image !== undefined && { image }),
        binds: sandbox.binds,
        network: sandbox.shareNet ? 'host' : 'none',
        // The image's own entrypoint keeps its working directory; a command given here starts in cwd.
        ...(argv.length > 0 && sandbox.cwd !== '/' && { cwd: sandbox.cwd }),
        limits: sandbox.limits,
      }),
      ...(opts.dockerArg ?? []),
    ];
    const progress = new Progress();
    const result = await recordRuns(
      {
        argv,
        host: hostArch(),
        ...(via === 'seccomp' ? { via, notifrecPath: notifrecPath() } : {}),
        ...(opts.saveTrace !== undefined ? { saveTraceDir: opts.saveTrace } : {}),
        ...(opts.pin === false ? { pinCpu: false as const } : {}),
        ...(image !== undefined ? { docker: { image, runArgs: dockerArgs, dockerPath: cli } } : {}),
        ...(process.stderr.isTTY
          ? {
              onProgress: (p: RecordProgress) => {
                progress.update(progressText(p));
              },
            }
          : {}),
      },
      runs,
      opts.varyCpu === true,
    );
    progress.done();
    const { evidence } = result;
    const { profile, text, widened, overrides } = renderGenerated(evidence, gen);
    if (opts.evidence !== undefined)
      writeOutput(opts.evidence, writeEvidence(labelWidened(evidence, widened)));
    writeOutput(opts.output ?? 'seccomp-profile.json', text);
    for (const w of result.warnings.slice(0, 10)) err(`warning: trace line ${w}`);
    err(
      `recorded ${evidence.totals.calls} calls, ${evidence.syscalls.length} syscalls, ${evidence.totals.processes} processes in ${(result.durationMs / 1000).toFixed(2)}s${runs > 1 ? ` over ${runs} runs` : ''}; exit ${result.exitCode}`,
    );
    if (runs > 1)
      for (const [i, r] of result.runs.entries())
        err(
          `run ${i + 1} (${r.schedule}): ${r.syscalls} syscalls in ${(r.durationMs / 1000).toFixed(2)}s, exit ${r.exitCode}`,
        );
    err(
      `profile ${opts.output ?? 'seccomp-profile.json'}: ${describeProfile(profile)}${opts.evidence !== undefined ? `; evidence ${opts.evidence}` : ''}${result.tracePaths.length > 0 ? `; trace ${result.tracePaths.join(', ')}` : ''}`,
    );
    for (const w of policyWarnings(overrides)) err(w);
    for (const n of [
      ...generationNotes(profile, gen, hostArch()),
      ...coverageNotes(evidence, widened),
    ])
      err(n);
    // Forward the workload's exit status (any 0-255 value, not only sysgate's own codes).
    requestExit(result.exitCode as ExitCode);
  });
}
