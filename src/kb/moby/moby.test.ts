import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { archByScmpName, capNumber } from '../../arch/index.js';
import {
  DOCKER_DEFAULT_ARCH_MAP,
  DOCKER_DEFAULT_CAPABILITIES,
  DOCKER_DEFAULT_PROFILE_JSON,
  DOCKER_DEFAULT_PROFILE_TEXT,
  mobyArchitectures,
  mobyNativeArch,
} from './index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CORPUS_DEFAULT = 'test/fixtures/corpus/profiles/moby__profiles__seccomp_default.json';

describe('the embedded default profile', () => {
  it('is the shipped example file and the corpus copy of moby default.json, byte for byte', () => {
    const example = readFileSync(path.resolve(repoRoot, 'examples/docker-default.json'), 'utf8');
    const corpus = readFileSync(path.resolve(repoRoot, CORPUS_DEFAULT), 'utf8');
    expect(DOCKER_DEFAULT_PROFILE_TEXT).toBe(example);
    expect(DOCKER_DEFAULT_PROFILE_TEXT).toBe(corpus);
  });

  it('is parsed once into the data the derived tables read', () => {
    expect(DOCKER_DEFAULT_PROFILE_JSON).toEqual(JSON.parse(DOCKER_DEFAULT_PROFILE_TEXT));
    expect(DOCKER_DEFAULT_PROFILE_JSON.defaultAction).toBe('SCMP_ACT_ERRNO');
    expect(DOCKER_DEFAULT_PROFILE_JSON.defaultErrnoRet).toBe(1);
  });
});

describe("Docker's archMap", () => {
  it('equals the archMap of moby default.json in the corpus', () => {
    const file = path.resolve(repoRoot, CORPUS_DEFAULT);
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      archMap: { architecture: string; subArchitectures: string[] | null }[];
    };
    const theirs = json.archMap.map((e) => ({
      architecture: e.architecture,
      subArchitectures: e.subArchitectures ?? [],
    }));
    expect(DOCKER_DEFAULT_ARCH_MAP).toEqual(theirs);
    for (const e of DOCKER_DEFAULT_ARCH_MAP) {
      expect(archByScmpName(e.architecture)).toBeDefined();
      for (const s of e.subArchitectures) expect(archByScmpName(s)).toBeDefined();
    }
  });

  it.each([
    ['amd64', ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']],
    ['arm64', ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']],
    ['s390x', ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']],
    ['mips64le', ['SCMP_ARCH_MIPSEL64', 'SCMP_ARCH_MIPSEL', 'SCMP_ARCH_MIPSEL64N32']],
    ['riscv64', ['SCMP_ARCH_RISCV64']],
    // No archMap entry in the default profile: moby leaves `architectures` empty.
    ['ppc64le', []],
    ['386', []],
    // docs/semantics.md#moby-archmap: goToNative gives "loongarch64", nativeToSeccomp is keyed "loong64".
    ['loong64', []],
    ['wasm', []],
  ] as const)('moby on %s uses %j', (go, want) => {
    expect(mobyArchitectures(go)).toEqual(want);
  });

  it('keeps moby native names for includes/excludes.arches', () => {
    expect(mobyNativeArch('amd64')).toBe('amd64');
    expect(mobyNativeArch('386')).toBe('x86');
    expect(mobyNativeArch('mips64p32le')).toBe('mips3l64n32');
    expect(mobyNativeArch('sparc')).toBe('');
  });
});

describe('default capabilities', () => {
  it("has Docker's 14 default capabilities", () => {
    expect([...DOCKER_DEFAULT_CAPABILITIES].sort()).toEqual(
      [
        'CAP_AUDIT_WRITE',
        'CAP_CHOWN',
        'CAP_DAC_OVERRIDE',
        'CAP_FOWNER',
        'CAP_FSETID',
        'CAP_KILL',
        'CAP_MKNOD',
        'CAP_NET_BIND_SERVICE',
        'CAP_NET_RAW',
        'CAP_SETFCAP',
        'CAP_SETGID',
        'CAP_SETPCAP',
        'CAP_SETUID',
        'CAP_SYS_CHROOT',
      ].sort(),
    );
    for (const c of DOCKER_DEFAULT_CAPABILITIES) expect(capNumber(c)).toBeDefined();
  });
});
