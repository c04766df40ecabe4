import type { Command } from 'commander';
import { archInfo } from '../../arch/index.js';
import { decodeProgram } from '../../bpf/instruction.js';
import { validate } from '../../bpf/validate.js';
import { compileProfile } from '../../compile/compile.js';
import {
  argumentDependent,
  callData,
  describeAction,
  explainBpf,
  explainSyscall,
  nameUnderToken,
  otherRules,
  syscallNr,
  type PathStep,
} from '../../compile/explain.js';
import { UsageError } from '../../document/errors.js';
import { describeOrigin } from '../describe-origin.js';
import { out, outJson, readInputBytes } from '../io.js';
import {
  addHostOptions,
  describeStack,
  loadForHost,
  parseArchOption,
  loaderJson,
  stackJson,
  type HostOptions,
} from '../host.js';
import { hostArch } from '../../arch/host.js';

function printPath(path: readonly PathStep[], executed: number): void {
  out(`BPF path (${executed} instructions executed):`);
  for (const s of path) out(`  ${String(s.pc).padStart(4, '0')}: ${s.text}`);
}

interface ExplainCliOptions extends HostOptions {
  readonly host?: string;
  readonly bpf?: string;
  readonly json?: boolean;
}

/** `sysgate explain`: what a profile (or a raw filter) does with one syscall, and why. */
export function register(program: Command): void {
  const cmd = program
    .command('explain')
    .description(
      'explain the action a profile or raw filter takes for one syscall, the rule and the BPF path',
    )
    .argument('[profile]', "profile file ('-' for stdin); omit with --bpf")
    .argument('[syscall_and_args...]', 'syscall name or number, then up to six arguments')
    .option('--arch <abi>', 'ABI the syscall is made under (default: the host)');
  addHostOptions(cmd, { archFlag: '--host' })
    .option(
      '--bpf <file>',
      'explain a raw struct sock_filter[] file (host byte order) instead of a profile',
    )
    .option('--json', 'print the explanation as JSON')
    .addHelpText(
      'after',
      `
Arguments accept decimal, hex (0x..), negative numbers and symbolic constants joined by '|'
(AF_INET, CLONE_NEWUSER|SIGCHLD).

Examples:
  sysgate explain default.json socket AF_VSOCK SOCK_STREAM 0 --arch x86_64 --caps none
  sysgate explain default.json clone 'CLONE_NEWUSER|SIGCHLD' --caps none --json
  sysgate explain profile.json openat --arch x86_64 --runc 1.2   # runc >= 1.2: ENOSYS stub on the native arch
  sysgate explain --bpf filter.bpf getpid --arch x86_64`,
    )
    .action((first: string | undefined, rest: string[], opts: ExplainCliOptions) => {
      const positional =
        opts.bpf !== undefined
          ? [first, ...rest].filter((x): x is string => x !== undefined)
          : rest;
      const [sys, ...args] = positional;
      if (sys === undefined) throw new UsageError('missing SYSCALL (see sysgate explain --help)');
      if (opts.bpf !== undefined) {
        const abi = parseArchOption(opts.arch ?? hostArch());
        const prog = decodeProgram(readInputBytes(opts.bpf), 'host');
        validate(prog);
        const data = callData(abi, syscallNr(abi, sys), args);
        const r = explainBpf(prog, data, abi.endian);
        const dependent = argumentDependent(prog, data, abi.endian);
        if (opts.json === true) {
          outJson({
            arch: abi.name,
            syscall: nameUnderToken(abi.auditArch, data.nr) ?? null,
            nr: data.nr,
            args: data.args,
            value: r.value,
            action: describeAction(r.value),
            argumentDependent: dependent ?? null,
            executed: r.executed,
            path: r.path,
          });
          return;
        }
        out(`${sys}(${args.join(', ')}) on ${abi.name}: ${describeAction(r.value)}`);
        if (dependent !== undefined)
          out(
            dependent
              ? `the filter tests the arguments of ${sys}: other arguments may be decided differently`
              : `the filter decides ${sys} without looking at its arguments`,
          );
        printPath(r.path, r.executed);
        return;
      }
      if (first === undefined) throw new UsageError('missing PROFILE (or use --bpf FILE)');
      const host = loadForHost(first, { ...opts, arch: opts.host });
      const abi = opts.arch === undefined ? archInfo(host.arch) : parseArchOption(opts.arch);
      const c = compileProfile(host.resolved, {
        arch: host.arch,
        libseccompVersion: host.libseccomp,
        stack: host.stack.versions,
        stats: false,
      });
      const notes = [...host.stackNotes, ...c.plan.notes];
      const data = callData(abi, syscallNr(abi, sys), args);
      const e = explainSyscall(c.plan, c.program, data, abi.endian);
      const pos = e.origin.kind === 'rule' ? host.loaded.locate(e.origin.pointer) : undefined;
      const others =
        e.syscall === undefined
          ? []
          : otherRules(
              c.plan,
              host.resolved.dropped,
              e.syscall,
              e.origin.kind === 'rule' ? e.origin.pointer : undefined,
              abi.name,
            );
      if (opts.json === true) {
        outJson({
          file: first,
          host: host.arch,
          stack: stackJson(host.stack),
          loader: loaderJson(host.stack),
          abi: abi.name,
          syscall: e.syscall ?? null,
          nr: data.nr,
          args: data.args,
          value: e.value,
          action: e.action,
          errno: e.errno ?? null,
          actionText: e.actionText,
          origin: e.origin,
          position: pos ?? null,
          reasoning: e.reasoning,
          bpf: { value: e.bpfValue, executed: e.executed, path: e.path },
          notes,
          otherRules: others,
        });
        return;
      }
      out(`${e.syscall ?? sys}(${args.join(', ')}) on ${abi.name}: ${e.actionText}`);
      out(`decided by ${describeOrigin(e.origin, host.loaded.locate, first)}`);
      for (const r of e.reasoning) out(`  ${r}`);
      for (const o of others) {
        const at = host.loaded.locate(o.pointer);
        out(`also named by rule ${o.pointer}${at ? ` (line ${at.line})` : ''}: ${o.why}`);
      }
      out(`stack: ${describeStack(host.stack)}`);
      for (const n of notes) out(`note: ${n}`);
      printPath(e.path, e.executed);
    });
}
