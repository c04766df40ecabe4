/**
 * Kernel oracle for tests: what the real kernel does with a raw seccomp filter on chosen syscalls.
 * The filter is loaded by the static prober (native/prober.c) in a forked child right before each
 * probe, inside a bubblewrap sandbox (read-only host root, fresh namespaces), so any program can be
 * probed, even one that refuses the prober's own start-up syscalls.
 *
 * Typical use in an engine test: emulate the program on the same inputs, turn each return value into
 * the expected outcome with `predictOutcome(ret, baseline[i])`, and compare with `kernelDecide`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SeccompData } from '../../src/bpf/seccomp.js';
import { formatOutcome, type Probe, type ProbeOutcome } from '../../src/run/probe-format.js';
import { predictOutcome } from '../../src/run/predict.js';
import { runProbes, type ProbeRunOptions } from '../../src/run/probe.js';

/** AUDIT_ARCH_X86_64 (include/uapi/linux/audit.h). */
const AUDIT_ARCH_X86_64 = 0xc000003e;
/** AUDIT_ARCH_I386. */
const AUDIT_ARCH_I386 = 0x40000003;
/** The x32 ABI's syscall-number bit. */
const X32_SYSCALL_BIT = 0x40000000;

/** Build native/build/prober with make when it is missing (tests may run without `npm test`'s pretest). */
export function ensureProber(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  if (existsSync(`${root}/native/build/prober`)) return;
  const r = spawnSync('make', ['-s', '-C', `${root}/native`], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('make -C native failed; is gcc with libc6-dev installed?');
}

/** Whether a program is on PATH. */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * The probe that makes the kernel build `data` on an x86_64 host: AUDIT_ARCH_I386 becomes an
 * `int $0x80` call (arguments must fit 32 bits), AUDIT_ARCH_X86_64 with bit 30 an x32 call. The
 * instruction pointer cannot be chosen.
 */
export function probeForData(data: SeccompData): Probe {
  const args = [...data.args];
  switch (data.arch >>> 0) {
    case AUDIT_ARCH_X86_64:
      return { nr: data.nr, args, abi: (data.nr & X32_SYSCALL_BIT) !== 0 ? 'x32' : 'native' };
    case AUDIT_ARCH_I386:
      if (args.some((a) => BigInt.asUintN(64, a) > 0xffffffffn)) {
        throw new RangeError('an i386 probe cannot carry an argument above 32 bits');
      }
      return { nr: data.nr, args, abi: 'i386' };
    default:
      throw new RangeError(
        `arch 0x${(data.arch >>> 0).toString(16)} cannot be probed on an x86_64 host`,
      );
  }
}

/**
 * What the kernel does for each probe under `bpf` (one program, or several stacked oldest first):
 * bwrap + prober, forking per probe. Needs bubblewrap and the built prober; throws `RuntimeError`
 * otherwise.
 */
export async function kernelDecide(
  bpf: Uint8Array | readonly Uint8Array[],
  probes: readonly Probe[],
  options: ProbeRunOptions = {},
): Promise<ProbeOutcome[]> {
  ensureProber();
  return runProbes('bwrap', bpf, probes, { loader: 'prober', ...options });
}

/** What each probe does with no filter at all (the outcome of an ALLOW), in the same sandbox. */
export async function kernelBaseline(probes: readonly Probe[]): Promise<ProbeOutcome[]> {
  ensureProber();
  return runProbes('bwrap', undefined, probes);
}

/** One probe on which the kernel and the expectation differ. */
export interface KernelDisagreement {
  /** Index in the probe list. */
  readonly index: number;
  /** The probe. */
  readonly probe: Probe;
  /** The filter return value the caller expected (e.g. from an emulator). */
  readonly ret: number;
  /** What that return value implies. */
  readonly expected: string;
  /** What the kernel did. */
  readonly actual: string;
}

/**
 * Load `bpf` in the kernel, run every probe, and list the probes whose outcome differs from the one
 * implied by `rets[i]` (the filter's return value for probe i, as an emulator computes it).
 */
export async function kernelDisagreements(
  bpf: Uint8Array | readonly Uint8Array[],
  probes: readonly Probe[],
  rets: readonly number[],
): Promise<KernelDisagreement[]> {
  if (rets.length !== probes.length) throw new RangeError('one return value per probe is needed');
  const [baseline, actual] = await Promise.all([kernelBaseline(probes), kernelDecide(bpf, probes)]);
  const out: KernelDisagreement[] = [];
  probes.forEach((probe, index) => {
    const ret = rets[index] ?? 0;
    const expected = formatOutcome(
      predictOutcome(ret, baseline[index] ?? { kind: 'exit', status: -1 }),
    );
    const got = formatOutcome(actual[index] ?? { kind: 'exit', status: -1 });
    if (expected !== got) out.push({ index, probe, ret, expected, actual: got });
  });
  return out;
}
