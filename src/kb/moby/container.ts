/**
 * moby's container surface: what every Docker container gets besides its image and its seccomp
 * profile (moby `oci/defaults.go` `DefaultLinuxSpec` at tag v20.10.24, `daemon/pkg/oci/defaults.go`
 * in later versions; and the daemon's default shm size), as Docker 20.10.24 hands it to runc in the
 * bundle's config.json. sysgate's runc and crun bundles take these,
 * so a workload sees the same /dev, /sys and /proc under every engine.
 */

/** One OCI mount (runtime-spec `Mount`). */
export interface OciMount {
  readonly destination: string;
  readonly type: string;
  readonly source: string;
  readonly options: readonly string[];
}

/** The daemon's default `--shm-size` (64 MiB), the size of every container's /dev/shm. */
export const DOCKER_SHM_SIZE_BYTES = 64 * 1024 * 1024;

/**
 * Docker's default mounts, in moby's order and with the options the 20.10 daemon writes (the `rw`
 * of `DefaultLinuxSpec` dropped, /dev/shm with its size); /dev/shm is a tmpfs the daemon creates per
 * container and binds, seen inside as a tmpfs of that size.
 */
export const DOCKER_DEFAULT_MOUNTS: readonly OciMount[] = Object.freeze([
  { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
  {
    destination: '/dev',
    type: 'tmpfs',
    source: 'tmpfs',
    options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
  },
  {
    destination: '/dev/pts',
    type: 'devpts',
    source: 'devpts',
    options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
  },
  {
    destination: '/sys',
    type: 'sysfs',
    source: 'sysfs',
    options: ['nosuid', 'noexec', 'nodev', 'ro'],
  },
  {
    destination: '/sys/fs/cgroup',
    type: 'cgroup',
    source: 'cgroup',
    options: ['ro', 'nosuid', 'noexec', 'nodev'],
  },
  {
    destination: '/dev/mqueue',
    type: 'mqueue',
    source: 'mqueue',
    options: ['nosuid', 'noexec', 'nodev'],
  },
  {
    destination: '/dev/shm',
    type: 'tmpfs',
    source: 'shm',
    options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${DOCKER_SHM_SIZE_BYTES}`],
  },
]);

/**
 * Paths Docker 20.10 masks in every container (`DefaultLinuxSpec` `MaskedPaths`): runc and crun hide
 * a file behind /dev/null and a directory behind an empty read-only tmpfs.
 */
export const DOCKER_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
]);

/**
 * Paths later moby versions mask too; sysgate's bundles mask them as well, since they only hide more.
 * `/sys/devices/virtual/powercap`: the RAPL energy counters of CVE-2020-8694 (Platypus), masked since
 * moby v25.0.0 (commit 83cac3c3e3, GHSA-jq35-85cj-fj4p). `/proc/interrupts`: per-CPU interrupt counts,
 * a thermal side channel, masked since moby v28.0.2 (commit a3fef5debc, GHSA-6fw5-f8r9-fgfm), which
 * masks each CPU's `thermal_throttle` directory too (`mobyThermalThrottleDir`).
 */
export const MOBY_LATER_MASKED_PATHS: readonly string[] = Object.freeze([
  '/sys/devices/virtual/powercap',
  '/proc/interrupts',
]);

/**
 * The per-CPU directory moby v28.0.2 masks for every possible CPU whose directory exists on the host
 * (`defaultLinuxMaskedPaths` in moby `daemon/pkg/oci/defaults.go`, GHSA-6fw5-f8r9-fgfm).
 */
export function mobyThermalThrottleDir(cpu: number): string {
  return `/sys/devices/system/cpu/cpu${cpu}/thermal_throttle`;
}

/** Paths Docker 20.10 remounts read-only in every container (`DefaultLinuxSpec` `ReadonlyPaths`). */
export const DOCKER_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
]);

/** One OCI device cgroup rule (runtime-spec `LinuxDeviceCgroup`). */
export interface OciDeviceRule {
  readonly allow: boolean;
  readonly type?: 'a' | 'b' | 'c';
  readonly major?: number;
  readonly minor?: number;
  readonly access: string;
}

/**
 * Docker's device cgroup rules (`DefaultLinuxSpec` `Resources.Devices`): every device refused, then
 * /dev/zero, null, urandom, random, tty and console allowed and /dev/fuse refused. runc and crun
 * append their own default devices (/dev/pts/*, /dev/ptmx and the same six).
 */
export const DOCKER_DEVICE_RULES: readonly OciDeviceRule[] = Object.freeze([
  { allow: false, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
]);
