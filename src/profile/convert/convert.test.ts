import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { ProfileError } from '../errors.js';
import { UsageError } from '../../document/errors.js';
import { parseProfile } from '../index.js';
import { resolveProfile, type ResolvedProfile, type ResolveHost } from '../resolve.js';
import type { Profile } from '../types.js';
import { toDocker } from './docker.js';
import { toOci } from './oci.js';
import { toSpo } from './spo.js';

const repoRoot = path.resolve(import.meta.dirname, '../../..');
const fixture = (p: string): string => path.resolve(repoRoot, 'test/fixtures', p);
const golden = (name: string): string => path.resolve(repoRoot, 'test/golden/convert', name);
const mobyFile = fixture('corpus/profiles/moby__profiles__seccomp_default.json');
const mobyText = readFileSync(mobyFile, 'utf8');
const moby = parseProfile(mobyText, mobyFile).profile;
const AMD64: ResolveHost = { arch: 'x86_64', caps: [], kernel: { major: 6, minor: 1 } };

function resolved(p: Profile, host: ResolveHost = AMD64): ResolvedProfile {
  const r = resolveProfile(p, host);
  if (r === null) throw new Error('seccomp off');
  return r;
}

interface JsonRule {
  names: string[];
  action: string;
  errnoRet?: number;
  args?: { index: number; value: number; valueTwo?: number; op: string }[];
  comment?: string;
  includes?: unknown;
  excludes?: unknown;
}

describe('toOci', () => {
  test('the moby default for amd64 without caps is the corpus entries, stripped of moby-only keys', () => {
    const oci = JSON.parse(toOci(resolved(moby))) as Record<string, unknown>;
    const src = JSON.parse(mobyText) as { syscalls: JsonRule[] };
    const kept = [...Array.from({ length: 10 }, (_, i) => i), 12, 13, 18, 20];
    const expected = kept.map((i) => {
      const rest: Partial<JsonRule> = { ...src.syscalls[i] };
      delete rest.comment;
      delete rest.includes;
      delete rest.excludes;
      return rest;
    });
    expect(oci).toEqual({
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 1,
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      syscalls: expected,
    });
  });

  test('uint64 values are written exactly, valueTwo only when non-zero, Go field order', () => {
    const p: Profile = {
      defaultAction: 'SCMP_ACT_KILL_PROCESS',
      architectures: ['SCMP_ARCH_X86_64'],
      flags: ['SECCOMP_FILTER_FLAG_LOG'],
      listenerPath: '/run/a.sock',
      syscalls: [
        {
          names: ['ioctl'],
          action: 'SCMP_ACT_ERRNO',
          errnoRet: 0,
          args: [
            { index: 1, value: 0xffffffffffffffffn, valueTwo: 0n, op: 'SCMP_CMP_EQ' },
            { index: 2, value: 0xf0n, valueTwo: 0x10n, op: 'SCMP_CMP_MASKED_EQ' },
          ],
          pointer: '/syscalls/0',
        },
      ],
    };
    const text = toOci(resolved(p));
    expect(text).toContain('"value": 18446744073709551615,');
    expect(text).toContain('"valueTwo": 16,');
    expect(text.match(/valueTwo/g)).toHaveLength(1);
    expect(text).toContain('"errnoRet": 0,');
    const keys = [...text.matchAll(/^ {2}"(\w+)"/gm)].map((m) => m[1]);
    expect(keys).toEqual(['defaultAction', 'architectures', 'flags', 'listenerPath', 'syscalls']);
  });
});

describe('toDocker', () => {
  test('the moby default profile comes out as the same JSON document', () => {
    const ours = JSON.parse(toDocker(moby)) as unknown;
    // Go writes a nil subArchitectures as null; the model cannot tell null from [].
    const theirs = JSON.parse(
      mobyText.replaceAll('"subArchitectures": null', '"subArchitectures": []'),
    ) as unknown;
    expect(ours).toEqual(theirs);
  });

  test.each([
    'moby__profiles__seccomp_default.json',
    'moby__profiles__seccomp_fixtures_example.json',
    'moby__profiles__seccomp_fixtures_conditional_include.json',
    'moby__profiles__seccomp_fixtures_default-old-format.json',
    'containers__common__pkg_seccomp_seccomp.json',
    'docker__labs__security_seccomp_seccomp-profiles_default-no-chmod.json',
  ])('%s round-trips (write, parse gives the same model) and writing is deterministic', (file) => {
    const f = fixture(`corpus/profiles/${file}`);
    const first = parseProfile(readFileSync(f, 'utf8'), f).profile;
    const text = toDocker(first);
    const second = parseProfile(text, 'out.json').profile;
    const strip = (p: Profile): unknown => ({
      ...p,
      syscalls: p.syscalls.map((r) => ({ ...r, legacyName: undefined })),
    });
    expect(strip(second)).toEqual(strip(first));
    expect(toDocker(second)).toBe(text);
  });
});

/** A minimal OpenAPI v3 checker for the parts of the CRD schema SPO uses. */
function validate(
  schema: Record<string, unknown>,
  value: unknown,
  at: string,
  errors: string[],
): void {
  const type = schema.type as string | undefined;
  if (schema.enum !== undefined && !(schema.enum as unknown[]).includes(value))
    errors.push(`${at}: ${String(value)} not in enum`);
  if (type === 'string' && typeof value !== 'string') errors.push(`${at}: not a string`);
  if (
    typeof value === 'string' &&
    typeof schema.pattern === 'string' &&
    !new RegExp(schema.pattern).test(value)
  ) {
    errors.push(`${at}: does not match ${schema.pattern}`);
  }
  if (type === 'integer') {
    if (!Number.isInteger(value)) errors.push(`${at}: not an integer`);
    if (typeof schema.minimum === 'number' && (value as number) < schema.minimum)
      errors.push(`${at}: below minimum`);
  }
  if (type === 'array') {
    if (!Array.isArray(value)) {
      errors.push(`${at}: not an array`);
      return;
    }
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems)
      errors.push(`${at}: too many items`);
    if (typeof schema.minItems === 'number' && value.length < schema.minItems)
      errors.push(`${at}: too few items`);
    value.forEach((v, i) => {
      validate(schema.items as Record<string, unknown>, v, `${at}/${i}`, errors);
    });
  }
  if (type === 'object' && schema.properties !== undefined) {
    if (typeof value !== 'object' || value === null) {
      errors.push(`${at}: not an object`);
      return;
    }
    const props = schema.properties as Record<string, Record<string, unknown>>;
    for (const req of (schema.required as string[] | undefined) ?? []) {
      if (!(req in value)) errors.push(`${at}: missing ${req}`);
    }
    for (const [k, v] of Object.entries(value)) {
      const sub = props[k];
      if (sub === undefined)
        errors.push(`${at}/${k}: not in the schema (the API server would prune it)`);
      else validate(sub, v, `${at}/${k}`, errors);
    }
  }
}

describe('toSpo', () => {
  const crd = parseYaml(
    readFileSync(
      fixture(
        'corpus/reference/kubernetes-sigs__security-profiles-operator__deploy_base-crds_crds_seccompprofile.yaml',
      ),
      'utf8',
    ),
  ) as {
    spec: { versions: { name: string; schema: { openAPIV3Schema: Record<string, unknown> } }[] };
  };
  const schema = crd.spec.versions.find((v) => v.name === 'v1beta1')?.schema.openAPIV3Schema;
  const checkAgainstCrd = (yamlText: string): string[] => {
    const errors: string[] = [];
    const obj = parseYaml(yamlText, { intAsBigInt: false }) as Record<string, unknown>;
    if (schema === undefined) throw new Error('no v1beta1 schema in the CRD');
    validate(
      { ...schema, properties: { ...(schema.properties as object), metadata: { type: 'object' } } },
      obj,
      '',
      errors,
    );
    return errors;
  };

  test('the resolved moby default validates against the v1beta1 CRD schema and parses back to the same rules', async () => {
    const r = resolved(moby);
    const { resolvedToProfile } = await import('../resolve.js');
    const text = toSpo(resolvedToProfile(r), 'docker-default');
    expect(checkAgainstCrd(text)).toEqual([]);
    await expect(text).toMatchFileSnapshot(golden('moby-default.amd64.spo.yaml'));
    const back = parseProfile(text, 'spo.yaml');
    expect(back.format).toBe('spo');
    expect(back.profile.syscalls.map((s) => [s.names, s.action, s.errnoRet, s.args])).toEqual(
      r.syscalls.map((s) => [s.names, s.action, s.errnoRet, s.args]),
    );
    expect(back.profile.architectures).toEqual(r.architectures);
    expect(parseAllDocuments(text)).toHaveLength(1);
    expect(
      text.startsWith(
        'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\n',
      ),
    ).toBe(true);
  });

  test('comments become YAML comments and every action and op the CRD allows is written', () => {
    const p: Profile = {
      defaultAction: 'SCMP_ACT_LOG',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_NATIVE'],
      flags: ['SECCOMP_FILTER_FLAG_SPEC_ALLOW'],
      syscalls: (
        [
          'SCMP_CMP_NE',
          'SCMP_CMP_LT',
          'SCMP_CMP_LE',
          'SCMP_CMP_EQ',
          'SCMP_CMP_GE',
          'SCMP_CMP_GT',
          'SCMP_CMP_MASKED_EQ',
        ] as const
      ).map((op, i) => ({
        names: ['ioctl'],
        action:
          (
            [
              'SCMP_ACT_KILL',
              'SCMP_ACT_KILL_PROCESS',
              'SCMP_ACT_KILL_THREAD',
              'SCMP_ACT_TRAP',
              'SCMP_ACT_ERRNO',
              'SCMP_ACT_TRACE',
              'SCMP_ACT_ALLOW',
            ] as const
          )[i] ?? 'SCMP_ACT_ALLOW',
        args: [
          { index: i % 6, value: BigInt(i), valueTwo: op === 'SCMP_CMP_MASKED_EQ' ? 2n : 0n, op },
        ],
        ...(i === 0 ? { comment: 'first rule' } : {}),
        pointer: `/syscalls/${i}`,
      })),
    };
    const text = toSpo(p, 'all-ops', 'v1');
    expect(checkAgainstCrd(text)).toEqual([]);
    expect(text).toContain('  syscalls:\n    # first rule\n    - names:');
    expect(text).toContain('apiVersion: security-profiles-operator.x-k8s.io/v1\n');
  });

  const refuse: [string, Profile, string[]][] = [
    ['archMap', { ...moby, syscalls: [] }, ['/archMap']],
    [
      'includes/excludes',
      { ...moby, archMap: [] },
      moby.syscalls
        .filter((s) => s.includes ?? s.excludes)
        .map((s) => `${s.pointer}/${s.includes ? 'includes' : 'excludes'}`),
    ],
    [
      'loongarch64',
      { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_LOONGARCH64'], syscalls: [] },
      ['/architectures/0'],
    ],
    [
      'defaultErrnoRet 13',
      { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 13, architectures: [], syscalls: [] },
      ['/defaultErrnoRet'],
    ],
    [
      'unknown flag',
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        flags: ['SECCOMP_FILTER_FLAG_NEW_LISTENER'],
        architectures: [],
        syscalls: [],
      },
      ['/flags/0'],
    ],
    [
      'listenerPath outside the SPO directory',
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        listenerPath: '/tmp/x.sock',
        architectures: [],
        syscalls: [],
      },
      ['/listenerPath'],
    ],
    [
      'value beyond int64',
      {
        defaultAction: 'SCMP_ACT_ERRNO',
        architectures: [],
        syscalls: [
          {
            names: ['read'],
            action: 'SCMP_ACT_ALLOW',
            args: [{ index: 0, value: 1n << 63n, valueTwo: 0n, op: 'SCMP_CMP_EQ' }],
            pointer: '/syscalls/0',
          },
        ],
      },
      ['/syscalls/0/args/0/value'],
    ],
  ];
  test.each(refuse)('refuses %s', (_name, p, pointers) => {
    expect(pointers.length).toBeGreaterThan(0);
    try {
      toSpo(p, 'x');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ProfileError);
      expect((e as ProfileError).issues.map((i) => i.pointer)).toEqual(pointers);
    }
  });

  test.each(['Upper', 'with_underscore', '-dash', ''])('refuses the object name %j', (name) => {
    expect(() =>
      toSpo({ defaultAction: 'SCMP_ACT_ALLOW', architectures: [], syscalls: [] }, name),
    ).toThrow(UsageError);
  });
});
