/**
 * The policy controls of the generating commands (`generate`, `record`): `--deny`, the never-allow
 * list, and `--socket-families`, the pinned address families; parsing them into library options and
 * turning what they overrode into warnings.
 */
import type { Command } from 'commander';
import { constantGroups, isSyscallName, suggestSyscall } from '../arch/index.js';
import { UsageError } from '../document/errors.js';
import {
  describeOverride,
  type GenerateOptions,
  type GenerateResult,
  type PolicyOverride,
} from '../generate/index.js';
import { defaultNeverAllow } from '../kb/index.js';
import type { Profile } from '../profile/index.js';
import { closest, didYouMean } from './suggest.js';

/** The policy options as commander parses them. */
export interface PolicyCliOptions {
  deny?: string[];
  socketFamilies?: string[];
}

/** Words wrapped to lines of at most `width` characters, each line indented by `indent`. */
function wrap(text: string, width: number, indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines.join('\n');
}

/** Help text of the policy options, shared by the commands that take them. */
export const POLICY_HELP = `
Policy controls win over the evidence, with a warning for each call the evidence showed:
  --deny NAME...   never allow these syscalls. 'default' is the never-allow list used without
                   --deny, the block list of hand-written container profiles:
${wrap(defaultNeverAllow().join(', ') + '.', 100, '                   ')}
                   'none' empties it, a bare NAME replaces it, +NAME adds to it and -NAME takes
                   out of it (write '--deny=-NAME' or after a comma: a lone -NAME reads as an
                   option). Items may be comma-separated. In --mode audit only the critical and
                   high-risk names are refused; the default logs the others.
  --socket-families FAMILY...
                   the address families socket and socketpair may use at most, by name (AF_UNIX,
                   unix, PF_INET) or number (1); the families seen within them are allowed (all of
                   them when the inputs do not record families), 'none' refuses both calls. On x86
                   socketcall cannot be filtered by family, so it is refused even if the workload
                   used it.
Refused syscalls are written one rule per knowledge-base risk entry, with the risk level and reason,
unless the default action is that same ERRNO(EPERM) (enforce mode with EPERM): runc skips such rules
and their names would change its ENOSYS answer for newer syscalls; --stats lists them instead.`;

/** Examples of the policy options for a command's help. */
export const POLICY_EXAMPLES = [
  '--socket-families AF_UNIX                   # socket/socketpair: AF_UNIX only',
  '--deny +io_uring_setup,+io_uring_enter      # the default list and two more',
  '--deny=-personality                         # the default list but personality',
  '--deny none                                 # the evidence alone decides',
];

/** Add `--deny` and `--socket-families` to a command. */
export function addPolicyOptions(cmd: Command): Command {
  return cmd
    .option(
      '--deny <names...>',
      "syscalls never allowed, whatever the evidence (default: the knowledge base's never-allow list); 'none', 'default', NAME, +NAME, -NAME",
    )
    .option(
      '--socket-families <families...>',
      "address families socket and socketpair may use at most, by name or number (AF_UNIX,AF_INET); 'none' refuses both",
    );
}

/** Split option values on commas, dropping empty items. */
function items(values: readonly string[]): string[] {
  return values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function requireSyscall(name: string, item: string): string {
  if (isSyscallName(name)) return name;
  throw new UsageError(
    `--deny: '${item}' is not a syscall name${didYouMean(suggestSyscall(name))}`,
  );
}

/**
 * The never-allow list a `--deny` value asks for: `none` (alone) is empty; `default` is the
 * knowledge base's list; bare names replace it; `+NAME` adds to and `-NAME` removes from it (from
 * the default list when no bare name or `default` is given). Throws a {@link UsageError} on an
 * unknown syscall, `none` with anything else, or removing a name the list does not hold.
 */
export function parseDenyList(values: readonly string[]): string[] {
  const list = items(values);
  if (list.length === 0) throw new UsageError("--deny needs a name, 'default' or 'none'");
  if (list.includes('none')) {
    if (list.length > 1)
      throw new UsageError(
        `--deny none stands alone (it empties the list), not with ${list.filter((i) => i !== 'none').join(', ')}`,
      );
    return [];
  }
  const bare = list.filter((i) => !i.startsWith('+') && !i.startsWith('-') && i !== 'default');
  const out = new Set<string>(
    bare.length === 0 || list.includes('default') ? defaultNeverAllow() : [],
  );
  for (const i of bare) out.add(requireSyscall(i, i));
  for (const i of list.filter((x) => x.startsWith('+'))) out.add(requireSyscall(i.slice(1), i));
  for (const i of list.filter((x) => x.startsWith('-'))) {
    const n = requireSyscall(i.slice(1), i);
    if (!out.has(n))
      throw new UsageError(
        `--deny: '${i}': ${n} is not on the never-allow list, nothing to remove`,
      );
    out.delete(n);
  }
  return [...out].sort();
}

/** The AF_* names of the arch layer's table (AF_UNIX, AF_INET, ...). */
function familyNames(): string[] {
  return Object.keys(constantGroups().af);
}

/**
 * The address families a `--socket-families` value names: `AF_UNIX`, `unix`, `PF_UNIX` or a
 * number (0-255), comma-separated or several values; `none` (alone) is no family. Sorted, no
 * duplicates. Throws a {@link UsageError} on an unknown name.
 */
export function parseSocketFamilies(values: readonly string[]): bigint[] {
  const list = items(values);
  if (list.length === 0) throw new UsageError("--socket-families needs a family or 'none'");
  if (list.some((i) => i.toLowerCase() === 'none')) {
    if (list.length > 1) throw new UsageError('--socket-families none stands alone');
    return [];
  }
  const table = constantGroups().af;
  const out = new Set<bigint>();
  for (const i of list) {
    if (/^(?:0x[0-9a-f]+|\d+)$/i.test(i)) {
      const v = BigInt(i);
      if (v > 255n)
        throw new UsageError(`--socket-families: ${i} is not an address family (0-255)`);
      out.add(v);
      continue;
    }
    const upper = i.toUpperCase();
    const key = `AF_${upper.replace(/^(?:AF|PF)_/, '')}`;
    const name = familyNames().find((k) => k.toUpperCase() === key);
    const v = name === undefined ? undefined : table[name];
    if (v === undefined)
      throw new UsageError(
        `--socket-families: unknown address family '${i}'${didYouMean(closest(key, familyNames()))}`,
      );
    out.add(BigInt(v));
  }
  return [...out].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Turn the CLI's policy options into library options. */
export function policyOptionsFrom(
  opts: PolicyCliOptions,
): Pick<GenerateOptions, 'deny' | 'socketFamilies'> {
  return {
    ...(opts.deny !== undefined ? { deny: parseDenyList(opts.deny) } : {}),
    ...(opts.socketFamilies !== undefined
      ? { socketFamilies: parseSocketFamilies(opts.socketFamilies) }
      : {}),
  };
}

/** One `warning: ...` line per piece of evidence a policy control overrode. */
export function policyWarnings(overrides: readonly PolicyOverride[]): string[] {
  return overrides.map((o) => `warning: ${describeOverride(o)}`);
}

/**
 * A note when refused names are not written as rules, so that a reader of the profile knows where
 * they went: left to the same default (enforce mode with EPERM), or to runc's ENOSYS stub (kill mode,
 * names numbered above the rest); undefined when every refusal is a rule.
 */
export function refusalNote(
  refused: GenerateResult['refused'],
  profile: Profile,
): string | undefined {
  const left = refused.filter((r) => !r.rule);
  if (left.length === 0) return undefined;
  const denied = left.filter((r) => r.denied).length;
  const what = `${left.length} refused syscalls (${denied} on the never-allow list)`;
  if (profile.defaultAction === 'SCMP_ACT_ERRNO')
    return `note: ${what} are left to the default ERRNO(EPERM), which refuses them the same; no rule is written for them (runc skips a rule equal to the default); --stats or --mode audit gives each one's risk and reason`;
  return `note: ${what} are numbered above the profile's other rules, so runc's ENOSYS stub refuses them; a rule would raise the stub's ceiling and turn ENOSYS for newer syscalls into ${profile.defaultAction ?? 'the default'}: ${left.map((r) => r.name).join(', ')}`;
}
