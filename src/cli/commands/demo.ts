/**
 * `sysgate demo`: the built-in walk-through behind `npm start`. It does the seeds' whole workflow on a
 * small Python workload, for real: record it under strace, generate the least-privilege profile, compare
 * it with Docker's default, compile both, explain decisions, prove the profile on the real kernel with
 * bubblewrap, and ask whether Docker's default profile would have been enough.
 */
import { mkdirSync } from 'node:fs';
import { release } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parseArgValue, syscallNumber, type ArchName } from '../../arch/index.js';
import { DOCKER_DEFAULT_CAPABILITIES } from '../../kb/index.js';
import { encodeProgram } from '../../bpf/instruction.js';
import { seccompArgs } from '../../bpf/seccomp.js';
import { archInfo } from '../../arch/arches.js';
import { compileProfile, type CompileResult } from '../../compile/compile.js';
import { explainSyscall } from '../../compile/explain.js';
import { RuntimeError } from '../../document/errors.js';
import { advise, dockerDefaultProfile } from '../../generate/advise.js';
import { writeEvidence } from '../../generate/evidence.js';
import { allowedNames, generateProfile } from '../../generate/generate.js';
import { familyName } from '../../generate/symbols.js';
import { record } from '../../generate/record.js';
import { writeProfile } from '../../profile/write.js';
import {
  parseKernelRelease,
  resolvedToProfile,
  resolveProfile,
  type ResolvedProfile,
} from '../../profile/resolve.js';
import type { Profile } from '../../profile/types.js';
import { runBwrap } from '../../run/engines/bwrap.js';
import { runProbes } from '../../run/probe.js';
import { formatOutcome } from '../../run/probe-format.js';
import { requestExit, EXIT } from '../exit.js';
import { out, paint, writeOutput } from '../io.js';
import { hostArch } from '../../arch/host.js';

/** The demo workload: what the seeds' Python checks do (json, files, hashlib, a thread, a subprocess, AF_UNIX). */
const WORKLOAD = `
import json, hashlib, os, socket, subprocess, tempfile, threading
d = tempfile.mkdtemp()
p = os.path.join(d, 'data.json')
with open(p, 'w') as f: json.dump({'hello': 'sysgate'}, f)
os.rename(p, p + '.bak')
h = hashlib.sha256(open(p + '.bak', 'rb').read()).hexdigest()
t = threading.Thread(target=lambda: None); t.start(); t.join()
subprocess.run(['/bin/true'], check=True)
a, b = socket.socketpair(socket.AF_UNIX); a.send(b'x'); assert b.recv(1) == b'x'
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(os.path.join(d, 'sock')); s.listen(); s.close()
print('workload ok', h[:12])
`;

const PYTHON = '/usr/bin/python3';

function step(n: number, title: string): void {
  out('');
  out(paint('bold', `${n}. ${title}`));
}

function resolveFor(profile: Profile, arch: ArchName): ResolvedProfile {
  const kernel = parseKernelRelease(release()) ?? { major: 6, minor: 1 };
  const r = resolveProfile(profile, { arch, caps: [...DOCKER_DEFAULT_CAPABILITIES], kernel });
  if (r === null) throw new RuntimeError('demo', 'the profile turns seccomp off');
  return r;
}

function statsLine(label: string, c: CompileResult, arch: ArchName): string {
  const native = c.stats.abis.find((a) => a.arch === arch);
  const cost = native
    ? `${native.mean.toFixed(1)} mean / ${native.max} max instructions per syscall, ${native.allowed} allowed, ${native.cached} cached by the kernel`
    : '';
  return `  ${label.padEnd(22)} ${String(c.stats.length).padStart(4)} BPF instructions; ${cost}`;
}

function explainLine(c: CompileResult, arch: ArchName, syscall: string, args: string[]): string {
  const nr = syscallNumber(arch, syscall);
  if (nr === undefined) return `  ${syscall}: not on ${arch}`;
  const values = args.map((a) => parseArgValue(a, arch));
  const padded = seccompArgs(values);
  const info = archInfo(arch);
  const e = explainSyscall(
    c.plan,
    c.program,
    { nr, arch: info.auditArch, instructionPointer: 0n, args: padded },
    info.endian,
  );
  const why =
    e.origin.kind === 'rule'
      ? `rule ${e.origin.pointer}`
      : e.origin.kind === 'default'
        ? 'defaultAction'
        : e.origin.kind;
  const call = `${syscall}(${args.join(', ')})`;
  const verdict = e.action === 'allow' ? paint('green', e.actionText) : paint('red', e.actionText);
  return `  ${call.padEnd(34)} ${verdict.padEnd(20)} by ${why}, ${e.executed} BPF instructions`;
}

/** Run the demo; throws RuntimeError when a step the demo needs cannot run. */
async function runDemo(outDir: string): Promise<boolean> {
  const arch = hostArch();
  mkdirSync(outDir, { recursive: true });
  out(paint('bold', 'sysgate demo: record -> generate -> compile -> explain -> prove -> advise'));
  out(`host ${arch}, kernel ${release()}, output in ${outDir}`);

  step(
    1,
    'Record a Python workload under strace (json, files, hashlib, a thread, a subprocess, AF_UNIX)',
  );
  const rec = await record({
    argv: [PYTHON, '-c', WORKLOAD],
    host: arch,
    stdio: 'pipe',
    saveTraceDir: outDir,
  });
  if (rec.exitCode !== 0)
    throw new RuntimeError('python3', `the workload failed under strace (exit ${rec.exitCode})`, {
      stderr: rec.stderr ?? '',
    });
  const seen = rec.evidence.syscalls;
  out(
    `  ${rec.evidence.totals.calls} calls, ${seen.length} distinct syscalls, ${rec.evidence.totals.processes} processes, in ${rec.durationMs.toFixed(0)} ms`,
  );
  for (const s of seen.filter((x) => x.name === 'socket' || x.name === 'socketpair')) {
    const families = (s.args.family?.values ?? []).map((v) =>
      v.value === undefined ? v.text : (familyName(BigInt(v.value)) ?? v.text),
    );
    out(`  ${s.name}: families seen ${families.join(', ')}`);
  }
  writeOutput(join(outDir, 'evidence.json'), writeEvidence(rec.evidence));

  step(2, 'Generate the least-privilege profile (allowlist, argument rules, reasoned refusals)');
  const generated = generateProfile(rec.evidence, {});
  const profilePath = join(outDir, 'profile.json');
  writeOutput(profilePath, writeProfile(generated));
  const docker = dockerDefaultProfile();
  const ours = resolveFor(generated, arch);
  const theirs = resolveFor(docker, arch);
  const oursNames = allowedNames(resolvedToProfile(ours));
  const theirsNames = allowedNames(resolvedToProfile(theirs));
  out(`  wrote ${profilePath}`);
  out(
    `  allows ${oursNames.length} syscalls; Docker's default allows ${theirsNames.length} (${((100 * oursNames.length) / theirsNames.length).toFixed(0)}%)`,
  );

  step(3, "Compile both for this host (Docker's default as runc would receive it)");
  const cOurs = compileProfile(ours, { arch });
  const cTheirs = compileProfile(theirs, { arch });
  writeOutput(join(outDir, 'profile.bpf'), encodeProgram(cOurs.program, 'host'));
  out(statsLine('generated profile', cOurs, arch));
  out(statsLine("Docker's default", cTheirs, arch));

  step(4, 'Explain decisions exactly as the kernel will make them');
  out(explainLine(cOurs, arch, 'socket', ['AF_UNIX', 'SOCK_STREAM', '0']));
  out(explainLine(cOurs, arch, 'socket', ['AF_INET', 'SOCK_STREAM', '0']));
  out(explainLine(cOurs, arch, 'mount', []));
  out(explainLine(cOurs, arch, 'ptrace', []));
  out(explainLine(cTheirs, arch, 'socket', ['AF_INET', 'SOCK_STREAM', '0']));
  out(explainLine(cTheirs, arch, 'socket', ['AF_VSOCK', 'SOCK_STREAM', '0']));

  step(5, 'Prove it on the real kernel: bubblewrap loads the compiled filter');
  const bytes = encodeProgram(cOurs.program, 'host');
  const run = await runBwrap({ argv: [PYTHON, '-c', WORKLOAD], filter: bytes, timeoutMs: 60_000 });
  const ok = run.exitCode === 0;
  out(
    `  workload under the profile: ${ok ? paint('green', 'exit 0') : paint('red', `exit ${String(run.exitCode)}`)} ${run.stdout.trim()}`,
  );
  const sock = syscallNumber(arch, 'socket');
  let probesOk = true;
  if (sock !== undefined) {
    const probes = [
      { nr: sock, args: [parseArgValue('AF_UNIX'), parseArgValue('SOCK_STREAM'), 0n] },
      { nr: sock, args: [parseArgValue('AF_INET'), parseArgValue('SOCK_STREAM'), 0n] },
    ];
    const [unix, inet] = await runProbes('bwrap', bytes, probes);
    out(`  socket(AF_UNIX) on the kernel: ${unix ? formatOutcome(unix) : '?'}`);
    out(
      `  socket(AF_INET) on the kernel: ${inet ? formatOutcome(inet) : '?'} (expected errno 1, EPERM)`,
    );
    probesOk = unix?.kind === 'ok' && inet?.kind === 'errno' && inet.errno === 1;
  }

  step(6, "Advise: would Docker's default profile with default capabilities have been enough?");
  const kernel = parseKernelRelease(release()) ?? { major: 6, minor: 1 };
  const advice = advise(rec.evidence, { kernel, arch });
  out(
    `  ${advice.verdict === 'none' ? paint('green', 'yes') : paint('yellow', advice.verdict)}: ${advice.change}`,
  );

  out('');
  out(
    `Next: npx sysgate explain ${profilePath} socket AF_INET; npx sysgate compile ${profilePath} --format disasm | less`,
  );
  return ok && probesOk;
}

/** `sysgate demo`: the built-in walk-through behind `npm start`. */
export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'run the built-in demo: record a workload, generate its profile, compile, explain, prove it on the kernel, advise',
    )
    .option(
      '--out <dir>',
      'where to write the recorded trace, evidence, profile and filter',
      'demo-output',
    )
    .addHelpText(
      'after',
      `
Needs strace and bubblewrap (npm start installs them as root).

Examples:
  sysgate demo
  sysgate demo --out /tmp/sysgate-demo`,
    )
    .action(async (opts: { out: string }) => {
      const ok = await runDemo(resolve(opts.out));
      if (!ok) requestExit(EXIT.findings);
    });
}
