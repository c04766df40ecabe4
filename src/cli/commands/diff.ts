import type { Command } from 'commander';
import type { DecisionOrigin } from '../../compile/plan.js';
import { UsageError } from '../../document/errors.js';
import { describeRegion, diffFilters, type Difference } from '../../review/diff.js';
import { describeOrigin } from '../describe-origin.js';
import { EXIT, requestExit } from '../exit.js';
import { readSide, reviewTarget, type ReadSide } from '../filter-side.js';
import { addHostOptions, parseStack, stackJson, type HostOptions } from '../host.js';
import { out, outJson } from '../io.js';

interface DiffCliOptions extends Omit<HostOptions, 'arch'> {
  readonly host?: string;
  readonly arch?: string[] | undefined;
  readonly json?: boolean;
  readonly failOn?: string;
  readonly maxRegions?: string;
}

const FAIL_ON = ['looser', 'tighter', 'any'] as const;

/** Whether a difference trips `--fail-on`. */
function trips(d: Difference, failOn: (typeof FAIL_ON)[number] | undefined): boolean {
  if (failOn === undefined) return false;
  return failOn === 'any' || d.change === failOn;
}

function origin(side: ReadSide, o: DecisionOrigin | undefined): string {
  return o === undefined ? '' : ` (${describeOrigin(o, side.locate, side.label)})`;
}

/** `sysgate diff OLD NEW`: the exact difference in decisions between two filters. */
export function register(program: Command): void {
  const cmd = program
    .command('diff')
    .description(
      'the exact difference in decisions between two profiles, raw filters, processes or containers: every syscall and argument region whose action changes, with an argument vector each',
    )
    .argument('<old>', "profile file ('-' for stdin), raw BPF file, process id or container")
    .argument('<new>', 'the same kinds as OLD')
    .option('--arch <abi...>', 'ABIs to compare (default: every ABI of the host)');
  addHostOptions(cmd, { archFlag: '--host', scope: 'profiles' })
    .option('--json', 'print the differences as JSON')
    .option(
      '--fail-on <change>',
      'exit 1 when a decision moves: looser (towards ALLOW/LOG), tighter, or any',
    )
    .option('--max-regions <n>', 'differing regions reported per syscall at most', '8')
    .addHelpText(
      'after',
      `
OLD and NEW may each be a profile (any format validate reads), a raw struct sock_filter[] file
(host byte order, or hex text as 'sysgate asm --format hex' writes), a process id, or a running
Docker container (as root: the filters the kernel really runs, as 'sysgate inspect' dumps them).
Prefix profile:, bpf:, pid: or container: to force a kind. Profiles are resolved and compiled for
the host --host/--caps/--kernel/--libseccomp describe, exactly as Docker, runc and libseccomp would.

Every syscall of each ABI's table is compared on the whole argument space: the filters' decision
trees are walked together and each argument region whose decision differs is reported with one
argument vector inside it, run through both filters in the emulator. Exit 0 unless --fail-on
trips (1); 2 for bad input, 3 when a process or container cannot be read.

Examples:
  sysgate diff old.json new.json
  sysgate diff old.json new.json --fail-on looser --json
  sysgate diff profile.json my-container --caps default
  sysgate diff --arch x86 old.json filter.bpf`,
    )
    .action(async (oldArg: string, newArg: string, opts: DiffCliOptions) => {
      const failOn = opts.failOn;
      if (failOn !== undefined && !(FAIL_ON as readonly string[]).includes(failOn))
        throw new UsageError(`--fail-on must be looser, tighter or any, not '${failOn}'`);
      const maxRegions = Number(opts.maxRegions ?? '8');
      if (!Number.isInteger(maxRegions) || maxRegions < 1)
        throw new UsageError(`--max-regions expects a positive integer, got '${opts.maxRegions}'`);
      const { abis, hostOpts } = reviewTarget(opts);
      const a = await readSide(oldArg, hostOpts);
      const b = await readSide(newArg, hostOpts);
      const r = diffFilters(a, b, { abis, maxRegions });
      const tripped = r.differences.some((d) =>
        trips(d, failOn as (typeof FAIL_ON)[number] | undefined),
      );
      if (opts.json === true) {
        outJson({
          old: a.label,
          new: b.label,
          abis: r.abis,
          stack: stackJson(parseStack(hostOpts)),
          differences: r.differences.map((d) => ({
            abi: d.abi,
            syscall: d.syscall,
            nr: d.nr,
            old: d.old,
            new: d.new,
            args: d.args.map((v) => v.toString()),
            change: d.change,
            oldValue: d.oldValue,
            newValue: d.newValue,
            region: d.region.map((l) => ({
              arg: l.arg,
              word: l.word,
              op: l.op,
              mask: l.mask,
              datum: l.datum,
              holds: l.holds,
            })),
            regionText: describeRegion(d.region),
            ...(d.oldOrigin !== undefined && { oldOrigin: d.oldOrigin }),
            ...(d.newOrigin !== undefined && { newOrigin: d.newOrigin }),
          })),
          truncated: r.truncated,
        });
      } else {
        if (r.differences.length === 0)
          out(`no difference in decisions on ${r.abis.join(', ')} (${a.label} vs ${b.label})`);
        for (const d of r.differences) {
          out(
            `${d.abi} ${d.syscall} (${d.nr}): ${d.old} -> ${d.new} [${d.change}] where ${describeRegion(d.region)}`,
          );
          out(`  e.g. ${d.syscall}(${d.args.join(', ')})`);
          if (d.oldOrigin !== undefined || d.newOrigin !== undefined)
            out(
              `  old${origin(a, d.oldOrigin) || ': ' + a.label}; new${origin(b, d.newOrigin) || ': ' + b.label}`,
            );
        }
        for (const t of r.truncated)
          out(
            `${t.abi} ${t.syscall}: ${t.omitted} more differing region(s) not shown (--max-regions)`,
          );
        if (r.differences.length > 0) {
          const pairs = new Set(r.differences.map((d) => `${d.abi} ${d.syscall}`)).size;
          const count = (c: string): number =>
            new Set(r.differences.filter((d) => d.change === c).map((d) => `${d.abi} ${d.syscall}`))
              .size;
          out(
            `${pairs} syscall(s) decided differently (${count('looser')} looser, ${count('tighter')} tighter, ${count('changed')} changed within an action)`,
          );
        }
      }
      if (tripped) requestExit(EXIT.findings);
    });
}
