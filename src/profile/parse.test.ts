import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ProfileError } from './errors.js';
import { parseProfile, parseProfiles, readProfileSource } from './parse.js';
import { validateProfileSource } from './load.js';

const codes = (text: string, file = 'p.json'): string[] =>
  readProfileSource(text, file).issues.map((i) => i.code);

describe('Go encoding/json semantics', () => {
  test.each([
    [
      'case-insensitive keys',
      '{"DefaultAction":"SCMP_ACT_ALLOW","SYSCALLS":[{"Names":["read"],"ACTION":"SCMP_ACT_ERRNO"}]}',
      [],
    ],
    ['unknown keys are warnings', '{"defaultAction":"SCMP_ACT_ALLOW","colour":1}', ['unknown-key']],
    [
      'null fields are absent',
      '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":null,"syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW","args":null,"errnoRet":null}]}',
      [],
    ],
    [
      'negative value',
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]}]}',
      ['negative-number'],
    ],
    ['minus zero', '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":-0}', ['negative-number']],
    ['fraction', '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1.0}', ['fractional-number']],
    ['exponent', '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1e2}', ['fractional-number']],
    [
      'uint64 overflow',
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551616,"op":"SCMP_CMP_EQ"}]}]}',
      ['number-out-of-range'],
    ],
    [
      'string for a number',
      '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":"1"}',
      ['wrong-type'],
    ],
    ['number for a string', '{"defaultAction":2}', ['wrong-type']],
    ['comments', '{"defaultAction":"SCMP_ACT_ALLOW" /* x */}', ['syntax']],
    ['trailing garbage', '{"defaultAction":"SCMP_ACT_ALLOW"} x', ['syntax']],
    ['empty text', '', ['syntax']],
    [
      'duplicate key',
      '{"defaultAction":"SCMP_ACT_ERRNO","defaultAction":"SCMP_ACT_ALLOW"}',
      ['duplicate-key'],
    ],
    [
      'unknown op',
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"EQ"}]}]}',
      ['unknown-op'],
    ],
    [
      'missing op',
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1}]}]}',
      ['unknown-op'],
    ],
    [
      'name and names',
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"a","names":["b"],"action":"SCMP_ACT_ALLOW"}]}',
      ['name-and-names'],
    ],
  ])('%s', (_name, text, expected) => {
    expect(codes(text)).toEqual(expected);
  });

  test('the last of two case-variant keys wins, as in Go', () => {
    const p = parseProfile(
      '{"defaultaction":"SCMP_ACT_ERRNO","defaultAction":"SCMP_ACT_ALLOW"}',
      'p.json',
    );
    expect(p.profile.defaultAction).toBe('SCMP_ACT_ALLOW');
  });

  test('64-bit values are exact', () => {
    const p = parseProfile(
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":2,"value":18446744073709551615,"valueTwo":9007199254740993,"op":"SCMP_CMP_MASKED_EQ"}]}]}',
      'p.json',
    );
    expect(p.profile.syscalls[0]?.args[0]).toEqual({
      index: 2,
      value: 2n ** 64n - 1n,
      valueTwo: 9007199254740993n,
      op: 'SCMP_CMP_MASKED_EQ',
    });
  });

  test('deprecated name becomes a one-element names list', () => {
    const p = parseProfile(
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"name":"read","action":"SCMP_ACT_ALLOW"}]}',
      'p.json',
    );
    expect(p.profile.syscalls[0]).toMatchObject({
      names: ['read'],
      legacyName: true,
      pointer: '/syscalls/0',
    });
  });

  test('a null element of names is the empty string (Go zero value)', () => {
    const p = parseProfile(
      '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[null,"read"],"action":"SCMP_ACT_ALLOW"}]}',
      'p.json',
    );
    expect(p.profile.syscalls[0]?.names).toEqual(['', 'read']);
  });

  test('no defaultAction and no syscalls means seccomp off (no error)', () => {
    const r = validateProfileSource('{}', 'p.json');
    expect(r.valid).toBe(true);
    expect(r.issues.map((i) => i.code)).toEqual(['seccomp-disabled']);
  });
});

describe('format detection', () => {
  test.each([
    ['docker', '{"defaultAction":"SCMP_ACT_ALLOW"}', 'p.json', ['docker']],
    ['podman', '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"ENOSYS"}', 'p.json', ['podman']],
    [
      'oci config',
      '{"ociVersion":"1.0.2","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW"}}}',
      'config.json',
      ['oci-config'],
    ],
    [
      'firecracker',
      '{"vmm":{"default_action":"trap","filter_action":"allow","filter":[]}}',
      'fc.json',
      ['firecracker'],
    ],
    ['libcontainer', '{"default_action":2,"syscalls":[]}', 'old.json', ['libcontainer']],
    [
      'spo multi-doc',
      'apiVersion: security-profiles-operator.x-k8s.io/v1\nkind: SeccompProfile\nmetadata: {name: a}\nspec: {defaultAction: SCMP_ACT_LOG}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n---\napiVersion: seccomp-operator.x-k8s.io/v1alpha1\nkind: SeccompProfile\nmetadata: {name: b}\nspec: {defaultAction: SCMP_ACT_ERRNO, baseProfileName: runc-v1.2.0}\n',
      'p.yaml',
      ['spo', 'spo'],
    ],
  ])('%s', (_n, text, file, formats) => {
    const r = readProfileSource(text, file);
    expect(r.issues.filter((i) => i.severity === 'error')).toEqual([]);
    expect(r.documents.map((d) => d.format)).toEqual(formats);
  });

  test('SPO documents keep their names, pointers and baseProfileName', () => {
    const docs = parseProfiles(
      'apiVersion: security-profiles-operator.x-k8s.io/v1beta1\nkind: SeccompProfile\nmetadata:\n  name: a\nspec:\n  baseProfileName: runc-v1.2.0\n  defaultAction: SCMP_ACT_ERRNO\n  syscalls:\n  - action: SCMP_ACT_ALLOW\n    names: [read]\n',
      'p.yaml',
    );
    expect(docs).toHaveLength(1);
    expect(docs[0]).toMatchObject({ name: 'a', pointer: '/spec', baseProfileName: 'runc-v1.2.0' });
    expect(docs[0]?.profile.syscalls[0]?.pointer).toBe('/spec/syscalls/0');
    expect(docs[0]?.locate('/spec/syscalls/0/names/0')).toEqual({ line: 10, column: 13 });
  });

  test('OCI config rules point into linux.seccomp', () => {
    const p = parseProfile(
      '{"ociVersion":"1.0.2","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","comment":"x"}]}}}',
      'config.json',
    );
    expect(p.profile.syscalls[0]?.pointer).toBe('/linux/seccomp/syscalls/0');
    // runc's LinuxSyscall has no comment field: ignored with a warning.
    expect(p.warnings.map((w) => w.code)).toEqual(['unknown-key']);
  });

  test('ConfigMap entries are located inside the YAML block scalar', () => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\ndata:\n  a.json: |-\n    {\n      "defaultAction": "SCMP_ACT_NOPE"\n    }\n';
    const r = readProfileSource(text, 'cm.yaml');
    expect(r.issues[0]).toMatchObject({
      code: 'unknown-action',
      position: { line: 6, column: 24 },
    });
  });
});

describe('Firecracker conversion', () => {
  const fc1 = JSON.stringify({
    vmm: {
      default_action: 'trap',
      filter_action: { errno: 13 },
      filter: [
        { syscall: 'ioctl', args: [{ index: 1, type: 'dword', op: 'eq', val: 0x5401 }] },
        {
          syscall: 'mmap',
          args: [{ index: 2, type: 'dword', op: { masked_eq: 0x1_0000_0004 }, val: 0 }],
        },
        { syscall: 'read', args: [{ arg_index: 0, arg_type: 'qword', op: 'ne', val: 3 }] },
      ],
    },
  });

  test('dword eq compares the low 32 bits (MASKED_EQ 0xffffffff); masks are cut to 32 bits', () => {
    const [vmm] = parseProfiles(fc1, 'fc.json');
    expect(vmm?.name).toBe('vmm');
    expect(vmm?.profile.defaultAction).toBe('SCMP_ACT_TRAP');
    expect(vmm?.profile.syscalls.map((r) => [r.names[0], r.action, r.errnoRet, r.args])).toEqual([
      [
        'ioctl',
        'SCMP_ACT_ERRNO',
        13,
        [{ index: 1, value: 0xffffffffn, valueTwo: 0x5401n, op: 'SCMP_CMP_MASKED_EQ' }],
      ],
      [
        'mmap',
        'SCMP_ACT_ERRNO',
        13,
        [{ index: 2, value: 4n, valueTwo: 0n, op: 'SCMP_CMP_MASKED_EQ' }],
      ],
      ['read', 'SCMP_ACT_ERRNO', 13, [{ index: 0, value: 3n, valueTwo: 0n, op: 'SCMP_CMP_NE' }]],
    ]);
  });

  test('unknown keys are errors (deny_unknown_fields)', () => {
    expect(
      codes('{"vmm":{"default_action":"trap","filter_action":"allow","filter":[],"extra":1}}'),
    ).toEqual(['unknown-key']);
  });
});

describe('robustness', () => {
  const base = JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls: [
      {
        names: ['read', 'write'],
        action: 'SCMP_ACT_ALLOW',
        args: [{ index: 0, value: 1, op: 'SCMP_CMP_EQ' }],
      },
    ],
  });

  test('random byte mutations never throw anything but ProfileError', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat({ max: base.length - 1 }), fc.integer({ min: 0, max: 127 })), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.boolean(),
        (edits, yaml) => {
          const chars = base.split(''); // ASCII only
          for (const [at, code] of edits) chars[at] = String.fromCharCode(code);
          const text = chars.join('');
          const file = yaml ? 'm.yaml' : 'm.json';
          expect(() => validateProfileSource(text, file)).not.toThrow();
          try {
            parseProfiles(text, file);
          } catch (e) {
            expect(e).toBeInstanceOf(ProfileError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test('random text never crashes the reader', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.boolean(), (text, yaml) => {
        expect(() => validateProfileSource(text, yaml ? 'r.yaml' : 'r.json')).not.toThrow();
      }),
      { numRuns: 300 },
    );
  });
});
