import type { Command } from 'commander';
import { decodeProgram } from '../../bpf/instruction.js';
import { RuntimeError } from '../../document/errors.js';
import {
  dumpFilters,
  inspectContainer,
  readSeccompStatus,
  type ContainerSecurity,
} from '../../diagnose/inspect.js';
import { summarizeFilter, type FilterSummary } from '../../diagnose/filter-summary.js';
import { err, out, outJson } from '../io.js';

interface InspectCliOptions {
  readonly json?: boolean;
  readonly disasm?: boolean;
  readonly dump?: boolean;
}

/** A SecurityOpt entry with an inline profile shortened to its size. */
function shortOpt(opt: string): string {
  return opt.startsWith('seccomp=') && opt.length > 80
    ? `seccomp=<inline profile, ${opt.length - 8} bytes>`
    : opt;
}

/** Which seccomp profile Docker applied, from SecurityOpt. */
function dockerProfileKind(c: ContainerSecurity): 'unconfined' | 'custom' | 'default' {
  const s = c.securityOpt.find((o) => o.startsWith('seccomp='));
  if (s === undefined) return c.privileged ? 'unconfined' : 'default';
  return s === 'seccomp=unconfined' ? 'unconfined' : 'custom';
}

/** `sysgate inspect PID|CONTAINER`: the seccomp state a process or container really has. */
export function register(program: Command): void {
  program
    .command('inspect')
    .description(
      'show the seccomp mode, filters and no_new_privs of a process or Docker or Podman container; as root, dump and explain the loaded filters',
    )
    .argument('<target>', 'a process id, or a Docker or Podman container id or name')
    .option('--json', 'print the result as JSON')
    .option('--disasm', 'print the annotated disassembly of every loaded filter')
    .option('--no-dump', 'do not dump the loaded filters (PTRACE_SECCOMP_GET_FILTER)')
    .addHelpText(
      'after',
      `
The mode and filter count come from /proc/PID/status (Seccomp, Seccomp_filters, NoNewPrivs). For a
container, 'docker inspect' (or 'podman inspect' when Docker does not know it) adds SecurityOpt, Privileged and the added/dropped capabilities. As root,
every loaded filter is dumped with PTRACE_SECCOMP_GET_FILTER (newest first, as the kernel runs them)
and summarised: length, the arches it checks and its default action.

Examples:
  sysgate inspect 1234
  sysgate inspect my-container --json
  sysgate inspect my-container --disasm`,
    )
    .action(async (target: string, opts: InspectCliOptions) => {
      let container: ContainerSecurity | undefined;
      let pid: number;
      if (/^\d+$/.test(target)) pid = Number(target);
      else {
        container = await inspectContainer(target);
        if (!container.running)
          throw new RuntimeError(container.engine, `container ${target} is not running`);
        pid = container.pid;
      }
      const status = await readSeccompStatus(pid);
      let loaded: FilterSummary[] | undefined;
      let dumpError: string | undefined;
      if (opts.dump !== false && status.mode === 'filter') {
        if (process.getuid?.() !== 0) dumpError = 'dumping filters needs root (CAP_SYS_ADMIN)';
        else {
          try {
            loaded = (await dumpFilters(pid)).map((bytes, i) =>
              summarizeFilter(decodeProgram(bytes, 'host'), i),
            );
          } catch (e) {
            if (!(e instanceof RuntimeError)) throw e;
            dumpError = e.message;
          }
        }
      }
      if (opts.json === true) {
        outJson({
          target,
          pid,
          seccomp: {
            mode: status.mode,
            filters: status.filters,
            noNewPrivs: status.noNewPrivs,
            ...(loaded !== undefined && {
              loaded: loaded.map((f) => ({
                index: f.index,
                length: f.length,
                arches: f.arches,
                defaultAction: f.defaultAction,
                argumentFiltered: f.argumentFiltered ?? null,
                ...(opts.disasm === true && { disassembly: f.disassembly }),
              })),
            }),
            ...(dumpError !== undefined && { dumpError }),
          },
          ...(container !== undefined && {
            container: {
              engine: container.engine,
              id: container.id,
              name: container.name,
              privileged: container.privileged,
              profile: dockerProfileKind(container),
              securityOpt: container.securityOpt.map(shortOpt),
              capAdd: container.capAdd,
              capDrop: container.capDrop,
            },
          }),
        });
        return;
      }
      if (container !== undefined) {
        out(
          `${container.engine} container ${container.name} (${container.id.slice(0, 12)}), pid ${pid}`,
        );
        out(`  privileged:  ${container.privileged}`);
        out(`  seccomp:     ${dockerProfileKind(container)} profile`);
        out(
          `  SecurityOpt: ${container.securityOpt.length === 0 ? '(none)' : container.securityOpt.map(shortOpt).join(', ')}`,
        );
        out(`  CapAdd:      ${container.capAdd.join(', ') || '(none)'}`);
        out(`  CapDrop:     ${container.capDrop.join(', ') || '(none)'}`);
      } else out(`pid ${pid}`);
      out(
        `  Seccomp:     ${status.mode}${status.filters === undefined ? '' : `, ${status.filters} filter(s)`}`,
      );
      out(`  NoNewPrivs:  ${status.noNewPrivs ? 'yes' : 'no'}`);
      for (const f of loaded ?? []) {
        out(
          `  filter ${f.index}: ${f.length} instructions, arches ${f.arches.join(', ') || '(none checked)'}, default ${f.defaultAction ?? '?'}`,
        );
        if (f.argumentFiltered !== undefined && f.argumentFiltered.length > 0)
          out(`    argument-filtered: ${f.argumentFiltered.join(', ')}`);
        if (opts.disasm === true) out(f.disassembly.replace(/^/gm, '    '));
      }
      if (dumpError !== undefined) err(`note: filters not dumped: ${dumpError}`);
    });
}
