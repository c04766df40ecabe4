import { describe, expect, test } from 'vitest';
import { UsageError } from '../document/errors.js';
import { dockerRunArgs } from './engines/docker.js';
import { ociConfig } from './engines/oci.js';
import {
  DEFAULT_LIMITS,
  dockerLimitArgs,
  ociResources,
  parseCount,
  parseMemory,
  parseTimeout,
} from './limits.js';

describe('every container is bounded by default', () => {
  test('runc and crun get linux.resources.pids and .memory', () => {
    const config = ociConfig({ argv: ['true'] }) as {
      linux: { resources: unknown };
    };
    expect(config.linux.resources).toMatchObject({
      pids: { limit: 1024 },
      memory: { limit: 4 * 1024 ** 3, swap: 4 * 1024 ** 3 },
    });
  });

  test('docker gets --pids-limit and --memory', () => {
    const args = dockerRunArgs({ argv: ['true'] }, undefined, false);
    expect(args.join(' ')).toContain(
      `--pids-limit 1024 --memory ${4 * 1024 ** 3}b --memory-swap ${4 * 1024 ** 3}b`,
    );
  });

  test('limits can be lifted one by one', () => {
    expect(ociResources({ pids: 10 })).toEqual({ pids: { limit: 10 } });
    expect(dockerLimitArgs({})).toEqual([]);
    expect(DEFAULT_LIMITS.pids).toBe(1024);
  });
});

describe('parsing', () => {
  test.each([
    ['512m', 512 * 1024 ** 2],
    ['4g', 4 * 1024 ** 3],
    ['65536K', 64 * 1024 ** 2],
    ['10485760', 10 * 1024 ** 2],
    ['0', undefined],
  ])('--memory %s', (text, bytes) => {
    expect(parseMemory(text)).toBe(bytes);
  });

  test.each(['', '1t', '-5m', '1.5g', '4m'])('--memory %j is bad usage', (text) => {
    expect(() => parseMemory(text)).toThrow(UsageError);
  });

  test('counts and seconds; 0 means no limit', () => {
    expect(parseCount('256', '--pids-limit')).toBe(256);
    expect(parseCount('0', '--pids-limit')).toBeUndefined();
    expect(() => parseCount('-1', '--pids-limit')).toThrow(UsageError);
    expect(parseTimeout('1.5')).toBe(1500);
    expect(parseTimeout('0')).toBeUndefined();
    expect(() => parseTimeout('10s')).toThrow(UsageError);
  });
});
