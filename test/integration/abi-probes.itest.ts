/**
 * Suite probes that name their ABI (`abi: x86` enters through `int $0x80`, `abi: x32` with bit 30),
 * through `sysgate test` on bwrap, runc, crun and docker. Under a profile covering x86_64 only every
 * call through another ABI is killed (bad arch), socket(AF_INET) through i386's socketcall included;
 * under one covering x86 too, its argument rules hold in the i386 ABI; under Docker's default the
 * same calls reach the kernel (the control: the probes really enter through that ABI). With x86
 * kept, the workspace profile's socket(AF_UNIX) rule lets socketcall(SYS_SOCKET) through unless
 * socketcall is refused, as `generate` does (docs/semantics.md, multiplexers). Runs under
 * CI=true and wherever the engine is installed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { hostArch } from '../../src/arch/index.js';
import { hasTool } from '../oracle/kernel.js';

const root = resolve(import.meta.dirname, '../..');
const scratch = mkdtempSync(join(tmpdir(), 'abi-probes-'));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

/**
 * The workspace profile (socket for AF_UNIX only) with the x86 ABI kept; with `guard`, socketcall
 * refused (EACCES), as `generate --all-abis` does.
 */
function workspaceWithX86(guard: boolean): string {
  const file = join(scratch, `workspace-x86${guard ? '-guarded' : ''}.json`);
  const profile = JSON.parse(
    readFileSync(join(root, 'examples/workspace-profile.json'), 'utf8'),
  ) as { architectures: string[]; syscalls: object[] };
  profile.architectures = ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'];
  if (guard)
    profile.syscalls.push({ names: ['socketcall'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 });
  writeFileSync(file, JSON.stringify(profile));
  return file;
}

interface Expected {
  readonly inet: string;
  readonly call: string;
  readonly unix: string;
  readonly x32: string;
}

/** A suite of i386 and x32 probes under `profile`, each with its expectation. */
function suite(profile: string, expect: Expected): string {
  return `name: abi
profile: ${profile}
probes:
  - name: i386-socket-af-inet
    syscall: socket
    abi: x86
    args: [AF_INET, SOCK_STREAM, 0]
    expect: ${expect.inet}
  - name: i386-socketcall-socket
    syscall: socketcall
    abi: x86
    args: [1, 0]
    expect: ${expect.call}
  - name: i386-socket-af-unix
    syscall: socket
    abi: x86
    args: [AF_UNIX, SOCK_STREAM, 0]
    expect: ${expect.unix}
  - name: x32-socket-af-inet
    syscall: socket
    abi: x32
    args: [AF_INET, SOCK_STREAM, 0]
    expect: ${expect.x32}
`;
}

const CASES: readonly { name: string; profile: string; expect: Expected }[] = [
  {
    name: 'the workspace profile (x86_64 only): killed through every other ABI',
    profile: join(root, 'examples/workspace-profile.json'),
    expect: { inet: 'killed', call: 'killed', unix: 'killed', x32: 'killed' },
  },
  {
    // libseccomp turns the socket rule into socketcall(call == SYS_SOCKET): the family is out of reach.
    name: 'x86 kept: i386 socket(AF_INET) refused, socketcall(SYS_SOCKET) gets through',
    profile: workspaceWithX86(false),
    expect: { inet: '{errno: EPERM}', call: 'allowed', unix: 'allowed', x32: 'killed' },
  },
  {
    name: 'x86 kept, socketcall refused: socket(AF_INET) refused on every path',
    profile: workspaceWithX86(true),
    expect: { inet: '{errno: EPERM}', call: '{errno: EACCES}', unix: 'allowed', x32: 'killed' },
  },
  {
    name: "Docker's default (x86_64, x86, x32): the calls reach the kernel",
    profile: join(root, 'examples/docker-default.json'),
    expect: { inet: 'allowed', call: 'allowed', unix: 'allowed', x32: 'allowed' },
  },
];

describe.runIf(hostArch() === 'x86_64').each(['bwrap', 'runc', 'crun', 'docker'])(
  '%s',
  (engine) => {
    const on = process.env.CI === 'true' || hasTool(engine);

    test.skipIf(!on).each(CASES)('$name', (c) => {
      const file = join(scratch, `${engine}-${CASES.indexOf(c)}.yaml`);
      writeFileSync(file, suite(c.profile, c.expect));
      const r = spawnSync(
        join(root, 'node_modules/.bin/tsx'),
        [join(root, 'src/cli/main.ts'), 'test', file, '--engine', engine],
        { encoding: 'utf8', timeout: 120_000 },
      );
      expect(r.stdout).toMatch(/4 passed, all passed/);
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    });
  },
);
