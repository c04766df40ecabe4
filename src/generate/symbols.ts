/**
 * The symbolic constants generation needs to read strace's abbreviated output (`AF_UNIX`,
 * `CLONE_VM|SIGCHLD`) and to name recorded values in comments: the arch layer's constant tables,
 * plus the few spellings strace prints that they do not hold (`PF_*`, netlink protocols).
 */
import { constantGroups, constantName, constantValue } from '../arch/index.js';
import type { SymbolResolver } from '../trace/observe.js';

/** Netlink protocols strace prints as socket's third argument (include/uapi/linux/netlink.h). */
const NETLINK_PROTOCOLS: Readonly<Record<string, number>> = {
  NETLINK_ROUTE: 0,
  NETLINK_AUDIT: 9,
  NETLINK_KOBJECT_UEVENT: 15,
};

/** CLONE_NEW* bits a seccomp rule must keep clear (moby's mask: NEWNS..NEWNET, NEWCGROUP, not NEWTIME). */
export const CLONE_NAMESPACE_MASK = 0x7e020000n;

/**
 * Resolve one symbol of strace's abbreviated output, or undefined when unknown: the arch layer's
 * constants, `PF_*` as its `AF_*` twin, and the netlink protocols.
 */
export const resolveSymbol: SymbolResolver = (symbol) => {
  const v = constantValue(symbol);
  if (v !== undefined) return v;
  if (symbol.startsWith('PF_')) return constantValue(`AF_${symbol.slice(3)}`);
  const n = NETLINK_PROTOCOLS[symbol];
  return n === undefined ? undefined : BigInt(n);
};

/** The AF_* name of an address family number (`AF_UNIX` for 1), or undefined. */
export function familyName(value: bigint): string | undefined {
  return constantName('af', value);
}

/** The CLONE_NEW* names of the namespace bits in a clone flags word (empty when none). */
export function namespaceFlagNames(flags: bigint): string[] {
  return Object.entries(constantGroups().clone)
    .filter(
      ([k, v]) => k.startsWith('CLONE_NEW') && (CLONE_NAMESPACE_MASK & flags & BigInt(v)) !== 0n,
    )
    .map(([k]) => k);
}

/** A readable form of a personality value (`PER_LINUX`, `PER_LINUX|ADDR_NO_RANDOMIZE`, `query`). */
export function personalityName(value: bigint): string {
  if (value === 0xffffffffn) return 'query (0xffffffff)';
  const table = Object.entries(constantGroups().personality);
  const base = value & 0xffn;
  const baseName =
    table.find(([k, v]) => k.startsWith('PER_') && BigInt(v) === base)?.[0] ??
    `0x${base.toString(16)}`;
  const flags = table
    .filter(([k, v]) => !k.startsWith('PER_') && v > 0xff && (value & BigInt(v)) !== 0n)
    .map(([k]) => k);
  return [baseName, ...flags].join('|');
}
