import type { Command } from 'commander';
import { UsageError } from '../../document/errors.js';
import { advise, record, shortCap, type Evidence } from '../../generate/index.js';
import { EXIT, requestExit } from '../exit.js';
import { addHostOptions, parseArchOption, parseCaps, parseKernel } from '../host.js';
import { err, out, outJson, paint } from '../io.js';
import { readInputsAsEvidence } from '../generate-options.js';
import { hostArch } from '../../arch/host.js';

interface AdviseOptions {
  from?: string[];
  json?: boolean;
  kernel?: string;
  caps?: string;
  arch?: string;
}

/** `sysgate advise`: does a workload need anything beyond Docker's default seccomp profile and caps? */
export function register(program: Command): void {
  const cmd = program
    .command('advise')
    .description(
      "would a workload run under Docker's default seccomp profile and default capabilities? If not, the smallest change",
    )
    .argument('[command...]', 'record this command first (after --) instead of --from')
    .option('--from <file...>', "evidence, strace logs or audit logs ('-' for stdin)");
  addHostOptions(cmd, { archDefault: 'the recorded host', libseccomp: false, stack: false })
    .option('--json', 'print the advice as JSON')
    .addHelpText(
      'after',
      `
Every recorded syscall, with every recorded argument value, is decided by the same engine as
'sysgate explain' on Docker's default profile resolved for the host. For each refused call the
capability that unblocks it is tried. The answer is the smallest change: nothing, --cap-add, or a
custom profile (from 'sysgate generate'); never seccomp=unconfined. The narrowest capability is
preferred (CAP_BPF or CAP_PERFMON over CAP_SYS_ADMIN on kernel 5.8 and later), and a capability
that breaks container isolation (SYS_ADMIN, SYS_MODULE, SYS_PTRACE, SYS_RAWIO, DAC_READ_SEARCH,
SYS_BOOT...) is marked with what to do instead. A workload that crashed while recorded (SIGSEGV,
SIGABRT...) is reported: the advice then covers only what it did before.
Exit codes: 0 nothing needed, 1 a change is needed (or the workload crashed), 2 bad input,
3 strace missing.

Examples:
  sysgate advise --from evidence.json
  sysgate advise -- python3 -c 'import ctypes; ctypes.CDLL(None).malloc_info(0, None)'
  sysgate advise --kernel 4.4 --from gdb.evidence.json
  sysgate advise --json --from app.strace`,
    )
    .action(async (argv: string[], opts: AdviseOptions) => {
      const host = hostArch();
      let evidence: Evidence;
      if (opts.from !== undefined && opts.from.length > 0) {
        if (argv.length > 0)
          throw new UsageError('give either --from or a command after --, not both');
        evidence = await readInputsAsEvidence(opts.from, host);
      } else if (argv.length > 0) {
        const r = await record({ argv, host, stdio: 'inherit' });
        evidence = r.evidence;
      } else {
        throw new UsageError('give --from EVIDENCE or a command after --');
      }
      const kernel = parseKernel(opts.kernel);
      const a = advise(evidence, {
        kernel,
        caps: parseCaps(opts.caps),
        ...(opts.arch !== undefined ? { arch: parseArchOption(opts.arch).name } : {}),
      });
      if (opts.json === true) {
        outJson({ kernel: `${kernel.major}.${kernel.minor}`, ...a });
      } else {
        out(
          `checked ${a.checked} syscalls against Docker's default profile (kernel ${kernel.major}.${kernel.minor})`,
        );
        for (const b of a.blocked) {
          const breaks =
            b.unblockedBy !== undefined && a.isolation.some((w) => w.cap === b.unblockedBy);
          const fix =
            b.unblockedBy === undefined
              ? 'no capability unblocks it'
              : `--cap-add ${shortCap(b.unblockedBy)}${breaks ? ' (breaks container isolation, see below)' : ''}`;
          out(
            `  ${paint('red', 'blocked')} ${b.name}${b.args !== undefined ? ` (${b.args})` : ''} x${b.count}: ${b.outcome}; ${fix}. ${b.reason}`,
          );
        }
        for (const n of a.notes) out(`  note: ${n}`);
        out(
          `${a.verdict === 'none' ? paint('green', 'needed') : paint('yellow', 'needed')}: ${a.change}`,
        );
        for (const w of a.isolation)
          out(
            `  ${paint('red', 'warning')}: ${shortCap(w.cap)} breaks container isolation: ${w.why}${w.alternative !== undefined ? `; instead: ${w.alternative}` : ''}`,
          );
      }
      if (a.verdict !== 'none') requestExit(EXIT.findings);
      if (evidence.syscalls.length === 0) err('warning: the evidence holds no syscalls');
    });
}
