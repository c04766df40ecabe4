/**
 * eperm-default: the default answers EPERM, and syscalls below the highest number the profile names
 * get it too (runc's ENOSYS stub covers only those above), so libc's ENOSYS fallbacks do not fire.
 */
import { syscallEntries } from '../../../arch/syscalls.js';
import { kernelOutcome } from '../../../compile/decide.js';
import { ENOSYS_FALLBACKS, ENOSYS_SUCCESSORS } from '../../../kb/index.js';
import { rule } from '../case-kit.js';
import { defaultActionPointer } from '../query.js';
import type { LintRule } from '../types.js';

/** Names libc treats specially on ENOSYS (the fallbacks it implements). */
const FALLBACK_NAMES: ReadonlySet<string> = new Set([
  ...Object.keys(ENOSYS_FALLBACKS),
  ...Object.values(ENOSYS_SUCCESSORS).flat(),
]);

export const epermDefault: LintRule = {
  meta: {
    id: 'eperm-default',
    severity: 'info',
    security: false,
    short: 'The default answers EPERM: syscalls the profile does not name cannot fall back',
    long: "An allowlist whose default is SCMP_ACT_ERRNO with EPERM (errno 1, also runc's value when defaultErrnoRet is absent) tells a program that an unnamed syscall exists but is forbidden; libc then does not try the older call it would use on ENOSYS. runc prepends an ENOSYS answer for numbers above the highest syscall the profile names, but the holes below it still get EPERM, which is how faccessat2 and clone3 broke containers. Podman's profile answers ENOSYS by default (defaultErrnoRet 38) and lists the calls that must see EPERM. Information, reported when a syscall whose caller falls back on ENOSYS (clone3, faccessat2, close_range...) gets the EPERM default on the native ABI; the finding names them. Note that Docker before 23.0 drops defaultErrnoRet: there, answer those syscalls with explicit ERRNO(38) rules.",
    sources: ['opencontainers/runc#2151', 'containers/common#573', 'moby/moby#42871'],
  },
  detect(ctx) {
    const native = ctx.plan?.arches[0];
    if (native === undefined) return [];
    const o = kernelOutcome(native.defaultLeaf.value);
    if (o.kind !== 'errno' || o.errno !== 1) return [];
    const holes = syscallEntries(native.arch)
      .filter((e) => FALLBACK_NAMES.has(e.name))
      .filter((e) => ctx.decisionRoot(native.arch, e.nr) === native.defaultLeaf)
      .map((e) => e.name);
    if (holes.length === 0) return [];
    return [
      {
        pointer: defaultActionPointer(ctx),
        message: `syscalls the profile does not name get ERRNO(1) EPERM on ${native.arch}${native.enosysMax === undefined ? '' : ` up to nr ${native.enosysMax} (runc answers ENOSYS above)`}, including ${holes.join(', ')}, whose callers fall back only on ENOSYS; consider "defaultErrnoRet": 38 with an explicit EPERM list`,
        abis: [native.arch],
        syscalls: holes,
      },
    ];
  },
  cases: {
    valid: [
      {
        name: 'EPERM default, the fallback syscalls answered with ENOSYS',
        profile: {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [
            rule(['read', 'write', 'exit_group', 'epoll_pwait2'], 'SCMP_ACT_ALLOW'),
            rule(['clone3', 'close_range', 'faccessat2', 'fchmodat2'], 'SCMP_ACT_ERRNO', {
              errnoRet: 38,
            }),
          ],
        },
      },
      {
        name: 'ENOSYS default',
        profile: {
          defaultAction: 'SCMP_ACT_ERRNO',
          defaultErrnoRet: 38,
          syscalls: [rule(['read', 'write', 'exit_group'], 'SCMP_ACT_ALLOW')],
        },
      },
    ],
    invalid: [
      {
        name: 'EPERM default with holes below the highest name',
        profile: {
          defaultAction: 'SCMP_ACT_ERRNO',
          syscalls: [rule(['read', 'write', 'exit_group', 'epoll_pwait2'], 'SCMP_ACT_ALLOW')],
        },
        pointers: ['/defaultAction'],
      },
    ],
  },
};
