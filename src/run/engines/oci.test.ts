import { describe, expect, test } from 'vitest';
import {
  DOCKER_DEFAULT_MOUNTS,
  DOCKER_DEVICE_RULES,
  DOCKER_MASKED_PATHS,
  DOCKER_READONLY_PATHS,
  MOBY_LATER_MASKED_PATHS,
} from '../../kb/index.js';
import { hostRootfsLayout } from '../rootfs.js';
import { ociConfig, parseCpuList, thermalThrottleDirs } from './oci.js';

interface Config {
  mounts: { destination: string }[];
  linux: { maskedPaths: string[]; readonlyPaths: string[]; resources: { devices: unknown[] } };
}

describe("a bundle's container surface is Docker's", () => {
  const config = ociConfig({ argv: ['true'] }) as Config;

  test("Docker's default mounts come first, in moby's order", () => {
    expect(config.mounts.slice(0, DOCKER_DEFAULT_MOUNTS.length)).toEqual(DOCKER_DEFAULT_MOUNTS);
    expect(config.mounts.map((m) => m.destination)).toEqual(
      expect.arrayContaining(['/dev/shm', '/dev/pts', '/dev/mqueue', '/sys']),
    );
  });

  test("Docker's masked paths, the later moby's and the host's secrets are masked", () => {
    const layout = hostRootfsLayout();
    expect(config.linux.maskedPaths).toEqual([
      ...DOCKER_MASKED_PATHS,
      ...MOBY_LATER_MASKED_PATHS,
      ...thermalThrottleDirs(),
      ...layout.maskedFiles,
      ...layout.maskedDirs,
    ]);
    expect(config.linux.maskedPaths).toContain('/sys/devices/virtual/powercap');
    expect(config.linux.maskedPaths).toContain('/proc/interrupts');
    expect(config.linux.readonlyPaths).toEqual(DOCKER_READONLY_PATHS);
  });

  test("Docker's device rules: everything refused but the default devices", () => {
    expect(config.linux.resources.devices).toEqual(DOCKER_DEVICE_RULES);
    expect(config.linux.resources.devices[0]).toEqual({ allow: false, access: 'rwm' });
  });
});

describe('parseCpuList reads the kernel CPU list format', () => {
  test.each([
    ['0', [0]],
    ['0-1\n', [0, 1]],
    ['0-3,8,10-11', [0, 1, 2, 3, 8, 10, 11]],
    ['', []],
    ['0-x', []],
  ])('%j', (text, cpus) => {
    expect(parseCpuList(text)).toEqual(cpus);
  });
});
