import { existsSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { hostArch } from '../../src/arch/host.js';
import { main } from '../../src/cli/main.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let stdout = '';
let stderr = '';

const savedNoColor = process.env.NO_COLOR;

beforeEach(() => {
  process.env.NO_COLOR = '1';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
});

afterEach(() => {
  vi.restoreAllMocks();
  if (savedNoColor === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = savedNoColor;
});

async function run(...argv: string[]): Promise<Run> {
  stdout = '';
  stderr = '';
  const code = await main(['syscalls', ...argv]);
  return { code, stdout, stderr };
}

interface JsonRow {
  name: string;
  nr: number | null;
  arch: string;
  category: string;
  risk: string;
  numbers: Record<string, number>;
  docker: { status: string; label: string; reason: string };
  caps: string[];
}

function parseRows(text: string): JsonRow[] {
  const v: unknown = JSON.parse(text);
  expect(Array.isArray(v)).toBe(true);
  return v as JsonRow[];
}

/** `__NR_name nr` pairs of the installed x86_64 kernel header (linux-libc-dev), an independent source. */
function headerNumbers(): Map<string, number> {
  const file = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';
  const m = new Map<string, number>();
  if (!existsSync(file)) return m;
  for (const match of readFileSync(file, 'utf8').matchAll(/^#define __NR_(\w+) (\d+)$/gm)) {
    m.set(match[1] ?? '', Number(match[2]));
  }
  return m;
}

describe('sysgate syscalls (list)', () => {
  test('--json lists the arch table with name and nr', async () => {
    const r = await run('--arch', 'x86_64', '--json');
    expect(r.code).toBe(0);
    const rows = parseRows(r.stdout);
    expect(rows.length).toBeGreaterThan(300);
    for (const row of rows) {
      expect(typeof row.name).toBe('string');
      expect(typeof row.nr).toBe('number');
      expect(row.arch).toBe('x86_64');
    }
    const byName = new Map(rows.map((row) => [row.name, row]));
    expect(byName.get('read')?.nr).toBe(0);
    expect(byName.get('openat')?.nr).toBe(257);
    expect(byName.get('mount')).toMatchObject({ category: 'namespaces-mounts', risk: 'critical' });
    expect(byName.get('read')?.docker.status).toBe('allowed');
  });

  test.skipIf(!existsSync('/usr/include/x86_64-linux-gnu/asm/unistd_64.h'))(
    'x86_64 numbers agree with the kernel uapi header',
    async () => {
      const rows = parseRows((await run('--arch', 'amd64', '--json')).stdout);
      const header = headerNumbers();
      expect(header.size).toBeGreaterThan(300);
      const wrong = rows.filter((row) => header.has(row.name) && header.get(row.name) !== row.nr);
      expect(wrong.map((row) => `${row.name}=${String(row.nr)}`)).toEqual([]);
    },
  );

  test('the text table has a header and one row per syscall', async () => {
    const r = await run('--arch', 'aarch64');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NR\s+NAME\s+CATEGORY\s+RISK\s+DOCKER DEFAULT$/);
    expect(r.stdout).toMatch(/^56\s+openat\s+file I\/O\s+info\s+allowed$/m);
    expect(r.stdout).toMatch(
      /^40\s+mount\s+namespaces and mounts\s+critical\s+allowed-with-cap\(CAP_SYS_ADMIN\)$/m,
    );
    expect(r.stdout).not.toMatch(/\bopen\s+file/); // aarch64 has no open(2)
    expect(lines.at(-1)).toMatch(/^\d+ syscall\(s\) on aarch64$/);
  });

  test('--category filters the list', async () => {
    const rows = parseRows(
      (await run('--arch', 'x86_64', '--category', 'namespaces and mounts', '--json')).stdout,
    );
    expect(rows.map((row) => row.name)).toEqual(
      expect.arrayContaining(['mount', 'umount2', 'unshare', 'setns']),
    );
    expect(rows.every((row) => row.category === 'namespaces-mounts')).toBe(true);
    expect(rows.map((row) => row.name)).not.toContain('read');
  });

  test('--risk high lists the critical list only', async () => {
    const rows = parseRows((await run('--arch', 'x86_64', '--risk', 'high', '--json')).stdout);
    expect(rows.every((row) => row.risk === 'critical' || row.risk === 'high')).toBe(true);
    expect(rows.map((row) => row.name)).toEqual(
      expect.arrayContaining(['ptrace', 'bpf', 'kexec_load', 'keyctl']),
    );
  });

  test('the default arch is the host arch', async () => {
    const rows = parseRows((await run('--json')).stdout);
    expect(rows[0]?.arch).toBe(hostArch());
  });
});

describe('sysgate syscalls NAME|NR', () => {
  test('a name prints numbers on every arch, risk, capability and Docker status', async () => {
    const r = await run('--arch', 'aarch64', 'ptrace');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('117 on aarch64');
    expect(r.stdout).toContain('x86_64=101');
    expect(r.stdout).toContain('x86=26');
    expect(r.stdout).toContain('tracing and debugging');
    expect(r.stdout).toContain('CVE-2019-13272');
    expect(r.stdout).toContain('critical when kernel < 4.8');
    expect(r.stdout).toContain('CAP_SYS_PTRACE');
    expect(r.stdout).toContain('kernel-gated(>=4.8)');
    expect(r.stdout).toMatch(/never-allow:\s+on generate's default never-allow list \(--deny\)/);
  });

  test('--json gives the never-allow sources; a name not on the list has none', async () => {
    const [bpf] = parseRows((await run('--arch', 'x86_64', 'bpf', '--json')).stdout);
    expect(bpf).toMatchObject({ neverAllow: ['workspace'] });
    const [read] = parseRows((await run('--arch', 'x86_64', 'read', '--json')).stdout);
    expect(read).toMatchObject({ neverAllow: [] });
    expect((await run('--arch', 'x86_64', 'read')).stdout).not.toContain('never-allow');
  });

  test('a number is looked up on the chosen arch', async () => {
    const r = await run('--arch', 'x86', '102');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('socketcall');
    const hex = await run('--arch', 'x86_64', '0x101', '--json');
    expect(parseRows(hex.stdout)[0]?.name).toBe('openat');
  });

  test('--json with a name prints a one-element array', async () => {
    const rows = parseRows((await run('--arch', 'x86_64', 'openat', '--json')).stdout);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ name: 'openat', nr: 257, category: 'file-io' });
    expect(rows[0]?.numbers.aarch64).toBe(56);
  });

  test('a syscall absent on the arch still gets its details', async () => {
    const rows = parseRows((await run('--arch', 'aarch64', 'open', '--json')).stdout);
    expect(rows[0]).toMatchObject({ name: 'open', nr: null });
    expect(rows[0]?.numbers.x86_64).toBe(2);
  });

  test('a blocked syscall shows Docker reason', async () => {
    const r = await run('--arch', 'x86_64', 'keyctl');
    expect(r.stdout).toMatch(/Docker:\s+blocked/);
    expect(r.stdout).toContain('not namespaced');
  });
});

describe('sysgate syscalls errors', () => {
  test.each([
    [['opnat'], /unknown syscall 'opnat' \(did you mean openat\?\)/],
    [['--arch', 'x86-64'], /unknown architecture 'x86-64' \(did you mean x86_64\?\)/],
    [['--arch', 'aarch65', 'read'], /did you mean aarch64\?/],
    [['--category', 'netwrk'], /unknown category 'netwrk' \(did you mean network\?\)/],
    [['--risk', 'hihg'], /unknown risk level 'hihg' \(did you mean high\?\)/],
    [['--arch', 'x86_64', '9999'], /no syscall number 9999 on x86_64/],
    [['--category', 'ipc', 'read'], /cannot be combined/],
  ])('%j exits 2', async (argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  test('--help has examples and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Examples:');
    expect(r.stdout).toContain('sysgate syscalls --arch aarch64 openat');
  });
});
