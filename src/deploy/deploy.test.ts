import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { SYSTEMD_DEFAULT_SET } from '../kb/systemd.js';
import { ProfileError } from '../profile/errors.js';
import { resolveProfile, type ResolveHost } from '../profile/resolve.js';
import { loadForRunc } from '../runc/index.js';
import { deploy, PLATFORMS, type Platform } from './deploy.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const golden = (name: string): string => path.resolve(repoRoot, 'test/golden/deploy', name);
const reference = (name: string): string =>
  path.resolve(repoRoot, 'test/fixtures/corpus/reference', name);
const HOST: ResolveHost = { arch: 'x86_64', caps: [], kernel: { major: 6, minor: 1 } };

/** systemd's own group plus a few calls: a profile systemd can hold exactly. */
const BASE = [...SYSTEMD_DEFAULT_SET, 'read', 'write', 'openat', 'close', 'fstat'];

function options(text: string, name = 'web') {
  const loaded = loadForRunc('p.json', text);
  const resolved = resolveProfile(loaded.profile, HOST);
  if (resolved === null) throw new Error('no filter');
  return { name, image: 'nginx:1.27', loaded, text, resolved, libseccomp: '2.5.4' as const };
}

const allowlist = (extra: object = {}, rules: object[] = []): string =>
  `${JSON.stringify(
    {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: BASE, action: 'SCMP_ACT_ALLOW' }, ...rules],
      ...extra,
    },
    null,
    2,
  )}\n`;

describe('systemd: written only where SystemCallFilter= decides as runc does', () => {
  const cases: {
    name: string;
    text: string;
    lines?: RegExp[];
    pointers?: string[];
  }[] = [
    {
      name: 'allow-list over @default, EPERM',
      text: allowlist(),
      lines: [/^SystemCallArchitectures=native$/m, /^SystemCallErrorNumber=EPERM$/m, /\bopenat\b/],
    },
    {
      name: 'another errno',
      text: allowlist({ defaultErrnoRet: 38 }),
      lines: [/^SystemCallErrorNumber=ENOSYS$/m],
    },
    {
      name: 'kill the process: no error number',
      text: allowlist({ defaultAction: 'SCMP_ACT_KILL_PROCESS' }),
      lines: [/^SystemCallFilter=/m],
    },
    {
      name: 'three ABIs',
      text: allowlist({ architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] }),
      lines: [/^SystemCallArchitectures=x86-64 x86 x32$/m],
    },
    {
      name: 'a rule equal to the default is dropped, as runc drops it',
      text: allowlist({}, [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }]),
      lines: [/^SystemCallErrorNumber=EPERM$/m],
    },
    {
      name: 'argument rule',
      text: allowlist({}, [
        {
          names: ['socket'],
          action: 'SCMP_ACT_ALLOW',
          args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
        },
      ]),
      pointers: ['/syscalls/1/args'],
    },
    {
      name: 'a second refusal',
      text: allowlist({}, [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]),
      pointers: ['/syscalls/1'],
    },
    {
      name: 'LOG default',
      text: allowlist({ defaultAction: 'SCMP_ACT_LOG' }),
      pointers: ['/defaultAction'],
    },
    {
      name: 'thread kill',
      text: allowlist({ defaultAction: 'SCMP_ACT_KILL' }),
      pointers: ['/defaultAction'],
    },
    {
      name: '@default not all allowed',
      text: `${JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }] })}\n`,
      pointers: ['/syscalls'],
    },
    {
      name: 'flags',
      text: allowlist({ flags: ['SECCOMP_FILTER_FLAG_LOG'] }),
      pointers: ['/flags'],
    },
  ];
  test.each(cases)('$name', (c) => {
    const run = () => deploy('systemd', options(c.text));
    if (c.pointers !== undefined) {
      expect(run).toThrow(ProfileError);
      try {
        run();
      } catch (e) {
        expect((e as ProfileError).issues.map((i) => i.pointer)).toEqual(c.pointers);
        expect((e as ProfileError).issues.every((i) => i.code === 'systemd-unsupported')).toBe(
          true,
        );
      }
      return;
    }
    const conf = deploy('systemd', options(c.text)).files[0]?.content ?? '';
    for (const re of c.lines ?? []) expect(conf).toMatch(re);
  });

  test('the allow-list holds every name the profile allows and nothing else', () => {
    const conf = deploy('systemd', options(allowlist())).files[0]?.content ?? '';
    const line = /^SystemCallFilter=(.*)$/m.exec(conf)?.[1] ?? '';
    const names = new Set(line.split(' '));
    // Names no ABI of the profile has (e.g. riscv_hwprobe on x86_64) are left out with a note.
    for (const n of ['read', 'write', 'openat', 'close', 'fstat', 'execve'])
      expect(names.has(n)).toBe(true);
    expect(names.has('mount')).toBe(false);
    expect(names.has('riscv_hwprobe')).toBe(false);
  });
});

describe('deploy snippets', () => {
  const text = allowlist({ architectures: ['SCMP_ARCH_X86_64'] });
  test.each(PLATFORMS.map((p) => ({ p })))('$p golden', async ({ p }) => {
    const d = deploy(p, options(text));
    const all = [
      ...d.files.map((f) => `# ---- ${f.path} (${f.destination})\n${f.content}`),
      `# ---- snippet\n${d.snippet}`,
      ...d.notes.map((n) => `note: ${n}\n`),
    ].join('\n');
    await expect(all).toMatchFileSnapshot(golden(`${p}.txt`));
  });

  test('docker, compose and podman get the profile byte for byte (64-bit values included)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.constantFrom<Platform>('docker', 'compose', 'podman'),
        (v, p) => {
          const t = `{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":${v},"op":"SCMP_CMP_EQ"}]},{"names":${JSON.stringify(BASE)},"action":"SCMP_ACT_ALLOW"}]}`;
          const d = deploy(p, options(t));
          expect(d.files[0]?.content).toBe(t);
        },
      ),
      { numRuns: 50 },
    );
  });

  test('the swarm request carries the same bytes, base64', () => {
    const d = deploy('swarm', options(text));
    const body = JSON.parse(d.files[0]?.content ?? '') as {
      TaskTemplate: {
        ContainerSpec: { Privileges: { Seccomp: { Mode: string; Profile: string } } };
      };
    };
    const s = body.TaskTemplate.ContainerSpec.Privileges.Seccomp;
    expect(s.Mode).toBe('custom');
    expect(Buffer.from(s.Profile, 'base64').toString()).toBe(text);
  });

  test('SPO objects validate against the operator CRDs', () => {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('int32', {
      type: 'number',
      validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
    });
    ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
    ajv.addFormat('date-time', true);
    const schemaOf = (file: string, version: string) => {
      const crd = parseYaml(readFileSync(reference(file), 'utf8')) as {
        spec: { versions: { name: string; schema: { openAPIV3Schema: object } }[] };
      };
      const s = crd.spec.versions.find((v) => v.name === version)?.schema.openAPIV3Schema;
      if (s === undefined) throw new Error(`no ${version} in ${file}`);
      return ajv.compile(s);
    };
    const sp = schemaOf(
      'kubernetes-sigs__security-profiles-operator__deploy_base-crds_crds_seccompprofile.yaml',
      'v1beta1',
    );
    const pb = schemaOf(
      'kubernetes-sigs__security-profiles-operator__deploy_base-crds_crds_profilebinding.yaml',
      'v1alpha1',
    );
    const d = deploy('spo', { ...options(text), namespace: 'shop' });
    const [profile, binding] = d.files.map((f) =>
      parseAllDocuments(f.content).map((x) => x.toJS() as object),
    );
    expect(sp(profile?.[0])).toBe(true);
    // The schema check can fail: an action outside the CRD's enum.
    expect(sp({ ...profile?.[0], spec: { defaultAction: 'SCMP_ACT_BOGUS' } })).toBe(false);
    expect(pb({ ...binding?.[0], spec: { image: 'x' } })).toBe(false);
    expect(pb(binding?.[0])).toBe(true);
    expect(profile?.[0]).toMatchObject({ metadata: { name: 'web', namespace: 'shop' } });
    expect(binding?.[0]).toMatchObject({
      spec: { profileRef: { kind: 'SeccompProfile', name: 'web' }, image: 'nginx:1.27' },
    });
  });

  test('the kubernetes installer adds no privilege: no privileged, every capability dropped, only the seccomp root mounted', () => {
    const d = deploy('kubernetes', options(text));
    const docs = parseAllDocuments(d.files[0]?.content ?? '').map(
      (x) => x.toJS() as Record<string, unknown>,
    );
    const ds = docs.find((o) => o.kind === 'DaemonSet') as {
      spec: {
        template: {
          spec: {
            initContainers: { securityContext: object }[];
            containers: { securityContext: object }[];
            volumes: { hostPath?: { path: string } }[];
            hostPID?: boolean;
          };
        };
      };
    };
    const pod = ds.spec.template.spec;
    for (const c of [...pod.initContainers, ...pod.containers]) {
      expect(c.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        runAsUser: 0,
      });
    }
    expect(pod.hostPID).toBeUndefined();
    expect(pod.volumes.flatMap((v) => (v.hostPath === undefined ? [] : [v.hostPath.path]))).toEqual(
      ['/var/lib/kubelet/seccomp'],
    );
    const cm = docs.find((o) => o.kind === 'ConfigMap') as { data: Record<string, string> };
    expect(cm.data['web.json']).toBe(text);
  });

  test('names: a DNS label', () => {
    expect(() => deploy('docker', options(text, 'Web_App'))).toThrow(/DNS label/);
    expect(() => deploy('docker', { ...options(text), namespace: 'Bad NS' })).toThrow(/namespace/);
  });
});
