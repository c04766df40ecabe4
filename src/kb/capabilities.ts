/**
 * What granting a capability to a container means for its isolation (capabilities(7), the kernel's
 * capability split of 5.8/5.9), so that advice prefers the narrowest capability and says when the
 * one it proposes lets the container reach the host. One home for these facts: advise and the
 * reports read them here.
 */

/** The isolation facts of one capability. */
export interface CapabilityIsolation {
  /** How the capability lets a container reach the host; undefined when it does not by itself. */
  readonly breaksIsolation?: string;
  /** What to do instead. */
  readonly alternative?: string;
  /** First kernel that knows the capability (older kernels only have the broad one it came from). */
  readonly since?: { readonly major: number; readonly minor: number };
  /** The broad capability it was split out of (CAP_BPF from CAP_SYS_ADMIN). */
  readonly splitFrom?: string;
}

/** Capabilities with isolation facts; any other capability has none. */
export const CAPABILITY_ISOLATION: Readonly<Record<string, CapabilityIsolation>> = Object.freeze({
  CAP_SYS_ADMIN: {
    breaksIsolation:
      'the catch-all administration capability: mounts, namespaces, BPF, perf, devices and cgroups; with it a container can mount host devices or cgroupfs and escape (the cgroup v1 release_agent breakout)',
    alternative:
      'a narrower capability where the kernel has one (CAP_BPF and CAP_PERFMON from 5.8, CAP_CHECKPOINT_RESTORE from 5.9, CAP_SYSLOG), or mounts and namespaces prepared outside the container (volumes, --tmpfs, --device)',
  },
  CAP_SYS_MODULE: {
    breaksIsolation: 'loads code into the host kernel, which controls every container and the host',
    alternative: 'load the module on the host (modprobe) before starting the container',
  },
  CAP_SYS_PTRACE: {
    breaksIsolation:
      "ptrace and process_vm_readv/writev on every process the container can see, reading their memory and secrets (all of the host's with --pid=host)",
    alternative:
      "trace only the container's own processes: Docker's default profile allows ptrace without the capability on kernel 4.8 and later",
  },
  CAP_SYS_RAWIO: {
    breaksIsolation:
      'raw I/O ports (iopl, ioperm) and raw device access: reads and writes host memory and hardware',
    alternative: 'pass only the device the workload needs with --device',
  },
  CAP_DAC_READ_SEARCH: {
    breaksIsolation:
      'open_by_handle_at opens any file of a host file system mounted in the container by its handle, past the mount (the "Shocker" breakout)',
    alternative: 'bind-mount the files the workload needs, read-only',
  },
  CAP_SYS_BOOT: {
    breaksIsolation: 'kexec_load replaces the running host kernel',
    alternative: 'none inside a container: rebooting and kexec belong to the host',
  },
  CAP_SYS_TIME: {
    breaksIsolation: "sets the host's clock, which is not namespaced",
    alternative: 'keep the time daemon on the host; a time namespace offsets clocks without it',
  },
  CAP_MAC_ADMIN: {
    breaksIsolation:
      'changes the LSM policy (AppArmor, SELinux, Smack) that confines the container',
    alternative: 'load the policy on the host',
  },
  CAP_MAC_OVERRIDE: {
    breaksIsolation: 'bypasses the LSM policy (Smack) that confines the container',
    alternative: 'adjust the policy on the host',
  },
  CAP_BPF: { since: { major: 5, minor: 8 }, splitFrom: 'CAP_SYS_ADMIN' },
  CAP_PERFMON: { since: { major: 5, minor: 8 }, splitFrom: 'CAP_SYS_ADMIN' },
  CAP_CHECKPOINT_RESTORE: { since: { major: 5, minor: 9 }, splitFrom: 'CAP_SYS_ADMIN' },
});

const NONE: CapabilityIsolation = Object.freeze({});

/** The isolation facts of a capability (`CAP_*`); empty when it has none. */
export function capabilityIsolation(cap: string): CapabilityIsolation {
  return Object.hasOwn(CAPABILITY_ISOLATION, cap) ? (CAPABILITY_ISOLATION[cap] ?? NONE) : NONE;
}

/** Whether the kernel `major.minor` knows the capability. */
export function capabilityExistsOn(
  cap: string,
  kernel: { readonly major: number; readonly minor: number },
): boolean {
  const since = capabilityIsolation(cap).since;
  if (since === undefined) return true;
  return (
    kernel.major > since.major || (kernel.major === since.major && kernel.minor >= since.minor)
  );
}
