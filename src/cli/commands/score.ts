import type { Command } from 'commander';
import { RISK_LEVELS } from '../../kb/types.js';
import { attackSurface, surfaceReduction } from '../../review/score.js';
import { dockerDefaultSide, readSide, reviewTarget } from '../filter-side.js';
import { addHostOptions, type HostOptions } from '../host.js';
import { out, outJson } from '../io.js';

interface ScoreCliOptions extends Omit<HostOptions, 'arch'> {
  readonly host?: string;
  readonly arch?: string[] | undefined;
  readonly against?: string;
  readonly json?: boolean;
}

function percent(x: number | null): string {
  return x === null ? '-' : `${(x * 100).toFixed(1)}%`;
}

/** `sysgate score PROFILE`: the attack surface per ABI, per risk level, against Docker's default. */
export function register(program: Command): void {
  const cmd = program
    .command('score')
    .description(
      "the attack surface of a profile per ABI: syscalls allowed unconditionally and conditionally, per risk level, and the reduction against Docker's default",
    )
    .argument('<profile>', "profile file ('-' for stdin), raw BPF file, process id or container")
    .option('--arch <abi...>', 'ABIs to score (default: every ABI of the host)');
  addHostOptions(cmd, { archFlag: '--host', scope: 'profiles' })
    .option(
      '--against <ref>',
      "what the reduction is measured against: docker-default (moby's embedded default) or any side diff reads",
      'docker-default',
    )
    .option('--json', 'print the scores as JSON')
    .addHelpText(
      'after',
      `
A syscall is allowed when every argument vector runs (ALLOW or LOG), conditional when some do, refused
when none does; decided on the whole argument space of the compiled filter, as 'sysgate diff' does.
Risk levels are the knowledge base's (sysgate syscalls NAME shows one). The reduction is the share of
the reference's reachable syscalls (allowed or conditional) the profile no longer lets run.

Examples:
  sysgate score app.json
  sysgate score app.json --caps none --json
  sysgate score app.json --against old.json --arch x86_64
  sysgate score my-container`,
    )
    .action(async (arg: string, opts: ScoreCliOptions) => {
      const { abis, hostOpts } = reviewTarget(opts);
      const side = await readSide(arg, hostOpts);
      const against =
        opts.against === undefined || opts.against === 'docker-default'
          ? dockerDefaultSide(hostOpts)
          : await readSide(opts.against, hostOpts);
      const mine = attackSurface(side, abis);
      const ref = attackSurface(against, abis);
      const rows = mine.map((m, i) => {
        const r = ref[i];
        if (r === undefined) throw new Error(`no reference surface for ${m.abi}`);
        return { mine: m, ref: r, reduction: surfaceReduction(m, r) };
      });
      if (opts.json === true) {
        outJson({
          profile: side.label,
          against: against.label,
          abis: rows.map(({ mine: m, ref: r, reduction }) => ({
            abi: m.abi,
            syscalls: m.syscalls,
            allowed: m.allowed.length,
            conditional: m.conditional.length,
            refused: m.refused,
            byRisk: m.byRisk,
            allowedNames: m.allowed,
            conditionalNames: m.conditional,
            against: {
              allowed: r.allowed.length,
              conditional: r.conditional.length,
              refused: r.refused,
              byRisk: r.byRisk,
            },
            reduction: { total: reduction.total, byRisk: reduction.byRisk },
            beyondAgainst: reduction.beyond,
          })),
        });
        return;
      }
      out(`${side.label} against ${against.label}`);
      for (const { mine: m, ref: r, reduction } of rows) {
        out('');
        out(
          `${m.abi}: ${m.syscalls} syscalls; ${m.allowed.length} allowed, ${m.conditional.length} conditionally, ${m.refused} refused (reference: ${r.allowed.length} allowed, ${r.conditional.length} conditionally)`,
        );
        out('  risk       allowed  conditional  reference  reduction');
        for (const l of RISK_LEVELS) {
          const a = m.byRisk[l];
          const b = r.byRisk[l];
          out(
            `  ${l.padEnd(9)}  ${String(a.allowed).padStart(7)}  ${String(a.conditional).padStart(11)}  ${String(b.allowed + b.conditional).padStart(9)}  ${percent(reduction.byRisk[l]).padStart(9)}`,
          );
        }
        out(
          `  ${'total'.padEnd(9)}  ${String(m.allowed.length).padStart(7)}  ${String(m.conditional.length).padStart(11)}  ${String(r.allowed.length + r.conditional.length).padStart(9)}  ${percent(reduction.total).padStart(9)}`,
        );
        if (reduction.beyond.length > 0)
          out(`  runs here but never under the reference: ${reduction.beyond.join(', ')}`);
      }
    });
}
