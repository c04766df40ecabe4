import { spawnSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../document/errors.js';
import { detectEngine, pickEngine } from './detect.js';

const has = (tool: string): boolean =>
  spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;

describe('engine detection', () => {
  test('an unknown engine name is a usage error', async () => {
    await expect(pickEngine('podman', 'profile')).rejects.toThrow(UsageError);
  });

  test.each(['bwrap', 'runc', 'crun'] as const)(
    '%s is reported as installed exactly when it is on PATH',
    async (name) => {
      const s = await detectEngine(name);
      expect(s.available).toBe(has(name));
      expect(s.install).toContain('apt-get install');
      if (s.available) expect(s.version).toMatch(/\d+\.\d+/);
    },
  );

  test('auto picks bwrap for raw BPF when it is installed', async () => {
    if (has('bwrap')) expect(await pickEngine('auto', 'bpf')).toBe('bwrap');
    else await expect(pickEngine('auto', 'bpf')).rejects.toThrow(/bubblewrap/);
  });
});
