/** Small builders for the rules' case tables (profiles as JSON values). */
import { DOCKER_DEFAULT_CAPABILITIES } from '../../kb/moby/caps.js';
import type { LintCase, LintHost } from './types.js';

/** A syscalls[] entry. */
export function rule(
  names: readonly string[],
  action: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { names, action, ...extra };
}

/** An allowlist profile: default ERRNO (EPERM) on x86_64 and its compat ABIs, with `syscalls`. */
export function allowlist(...syscalls: Record<string, unknown>[]): Record<string, unknown> {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1,
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
    syscalls: [rule(['read', 'write', 'exit_group'], 'SCMP_ACT_ALLOW'), ...syscalls],
  };
}

/** A condition `{index, value, op}` (valueTwo 0 unless given). */
export function arg(
  index: number,
  op: string,
  value: number,
  valueTwo = 0,
): Record<string, unknown> {
  return { index, value, valueTwo, op };
}

/** The host case tables run on unless a case says otherwise (x86_64 and its compat ABIs, Docker's capabilities). */
export const CASE_HOST: LintHost = {
  arch: 'x86_64',
  abis: ['x86_64', 'x86', 'x32'],
  caps: DOCKER_DEFAULT_CAPABILITIES,
  kernel: { major: 6, minor: 1 },
  libseccomp: '2.5.4',
};

/** A case's profile as the text a file would hold. */
export function caseText(c: LintCase): string {
  return typeof c.profile === 'string' ? c.profile : compactJson(c.profile) + '\n';
}

/** JSON with objects one member a line and arrays of scalars on one line (how profiles are written). */
export function compactJson(value: unknown, indent = ''): string {
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object'))
      return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
    const inner = indent + '  ';
    return `[\n${value.map((v) => inner + compactJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) return '{}';
    const inner = indent + '  ';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${compactJson(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}
