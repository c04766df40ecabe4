/**
 * Fuzz targets, one per input kind: profiles in every format (Docker/moby JSON, OCI config.json, SPO
 * YAML, ConfigMap, Firecracker), suites, evidence files, strace logs and audit logs. Inputs are real
 * seeds from the repository, mutated structurally (values replaced by arbitrary JSON, keys dropped,
 * text spliced, bytes flipped) with fast-check under a fixed seed, so CI runs the same bounded set.
 * The property: reading (and, for profiles, checking, resolving and compiling) either succeeds or
 * throws a typed `SeccompToolError`, never another exception; each target's run is bounded by its
 * test timeout (no timed assertions).
 * FUZZ_RUNS raises the number of runs per target for a longer local session.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, test } from 'vitest';
import { SeccompToolError } from '../../src/document/errors.js';
import { compileProfile } from '../../src/compile/compile.js';
import { readEvidence } from '../../src/generate/evidence.js';
import { parseProfiles } from '../../src/profile/parse.js';
import { resolveProfile } from '../../src/profile/resolve.js';
import { validateForRunc } from '../../src/runc/check.js';
import { parseSuite } from '../../src/suite/suite.js';
import { parseAuditLine } from '../../src/trace/audit.js';
import { parseStrace } from '../../src/trace/strace.js';

const ROOT = join(import.meta.dirname, '../..');
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = 20260904;

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** Whether `e` is an error sysgate throws on purpose. */
function isTyped(e: unknown): boolean {
  return e instanceof SeccompToolError;
}

/** Run `fn`; a thrown error must be typed. */
function expectTypedOrOk(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    if (!isTyped(e)) throw e;
  }
}

/** Arbitrary JSON-ish values, small, with the shapes parsers meet (numbers as big as u64, deep-ish). */
const jsonValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(
    null,
    '',
    -1,
    1.5,
    1e300,
    '18446744073709551616',
    'SCMP_ACT_ALLOW',
    'SCMP_ACT_ERRNO',
    'SCMP_ARCH_X86',
    'SCMP_CMP_MASKED_EQ',
    [],
    {},
  ),
);

/** JSON text of a mutated value (a deleted root is `null`). */
function jsonText(v: unknown, indent?: number): string {
  // JSON.stringify returns undefined for undefined, whatever its declared type says.
  const text = JSON.stringify(v, null, indent) as string | undefined;
  return text ?? 'null';
}

/** Every path (list of keys) into a parsed JSON value, the root included. */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []) {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (typeof v === 'object' && v !== null)
    for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

/** `root` with the value at `path` replaced by `value` (or deleted when `value` is undefined). */
function replaced(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  if (Array.isArray(root)) {
    const copy = [...(root as unknown[])];
    if (rest.length === 0 && value === undefined) copy.splice(Number(head), 1);
    else copy[Number(head)] = replaced(copy[Number(head)], rest, value);
    return copy;
  }
  const entries = Object.entries(root as Record<string, unknown>);
  if (rest.length === 0 && value === undefined)
    return Object.fromEntries(entries.filter(([k]) => k !== String(head)));
  const copy = Object.fromEntries(entries);
  copy[head] = replaced(copy[head], rest, value);
  return copy;
}

/** Structural mutations of a JSON seed: up to three values replaced or deleted. */
function mutatedJson(seed: unknown): fc.Arbitrary<unknown> {
  const all = paths(seed);
  const edit = fc.tuple(
    fc.integer({ min: 0, max: all.length - 1 }),
    fc.option(jsonValue, { nil: undefined, freq: 4 }),
  );
  return fc.array(edit, { minLength: 1, maxLength: 3 }).map((edits) => {
    let v = seed;
    for (const [i, value] of edits) {
      const p = all[i] ?? [];
      try {
        v = replaced(v, p, value);
      } catch {
        // A path made stale by an earlier edit: skip it.
      }
    }
    return v;
  });
}

/** Text mutations: splice random text or a fragment of the seed itself at a random place. */
function mutatedText(seed: string): fc.Arbitrary<string> {
  const piece = fc.oneof(
    fc.string({ maxLength: 12 }),
    fc.constantFrom('\n', '{', '}', '[', ']', '"', ':', ',', '&a ', '*a', '- ', '|\n', '#', '\\'),
    fc.tuple(fc.nat(seed.length), fc.nat(40)).map(([at, n]) => seed.slice(at, at + n)),
  );
  const edit = fc.tuple(fc.nat(seed.length), fc.nat(8), piece);
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => {
    let s = seed;
    for (const [at, del, text] of edits) {
      const i = Math.min(at, s.length);
      s = s.slice(0, i) + text + s.slice(i + del);
    }
    return s;
  });
}

/** Parse, check, resolve and compile every profile a text holds, as `compile` does. */
function throughTheStack(text: string, file: string): void {
  validateForRunc(text, file);
  for (const doc of parseProfiles(text, file)) {
    const resolved = resolveProfile(doc.profile, {
      arch: 'x86_64',
      caps: [],
      kernel: { major: 6, minor: 1 },
    });
    if (resolved !== null) compileProfile(resolved, { arch: 'x86_64' });
  }
}

const PROFILE_SEEDS: readonly (readonly [string, string])[] = [
  ['docker', 'test/fixtures/profile/several-errors-in-file-order.json'],
  ['docker (moby default)', 'examples/workspace-profile.json'],
  ['docker (socketcall)', 'test/fixtures/profile/socketcall-guarded.json'],
  ['firecracker', 'test/fixtures/profile/firecracker-same-action.json'],
  ['legacy libcontainer', 'test/fixtures/profile/legacy-format.json'],
];

const YAML_SEEDS: readonly (readonly [string, string])[] = [
  ['spo', 'test/fixtures/profile/spo-multi.yaml'],
  ['configmap', 'test/fixtures/profile/configmap-embedded.yaml'],
  ['spo with aliases', 'test/fixtures/fuzz/spo-alias.yaml'],
];

const params = { numRuns: RUNS, seed: SEED, endOnFailure: true } as const;

describe('fuzz: profiles', () => {
  test.each(PROFILE_SEEDS)('%s, structural mutations', (_kind, path) => {
    const seed = JSON.parse(read(path)) as unknown;
    fc.assert(
      fc.property(mutatedJson(seed), (v) => {
        expectTypedOrOk(() => {
          throughTheStack(jsonText(v, 1), 'fuzz.json');
        });
      }),
      params,
    );
  });

  test('OCI config.json, structural mutations', () => {
    const seccomp = JSON.parse(
      read('test/fixtures/profile/several-errors-in-file-order.json'),
    ) as unknown;
    const seed = { ociVersion: '1.0.2', process: { args: ['sh'] }, linux: { seccomp } };
    fc.assert(
      fc.property(mutatedJson(seed), (v) => {
        expectTypedOrOk(() => {
          throughTheStack(jsonText(v), 'config.json');
        });
      }),
      params,
    );
  });

  test.each([...PROFILE_SEEDS, ...YAML_SEEDS])('%s, text mutations', (_kind, path) => {
    const file = path.endsWith('.json') ? 'fuzz.json' : 'fuzz.yaml';
    fc.assert(
      fc.property(mutatedText(read(path)), (text) => {
        expectTypedOrOk(() => {
          throughTheStack(text, file);
        });
      }),
      params,
    );
  });
});

describe('fuzz: suites', () => {
  test.each(['examples/workspace-suite.yaml', 'examples/nginx-suite.yaml'])('%s', (path) => {
    fc.assert(
      fc.property(mutatedText(read(path)), (text) => {
        expectTypedOrOk(() => {
          parseSuite('fuzz.yaml', text);
        });
      }),
      params,
    );
  });
});

describe('fuzz: evidence', () => {
  const seed = {
    format: 'sysgate-evidence',
    version: 1,
    host: 'x86_64',
    meta: { inputs: 1, sources: ['t.strace'] },
    totals: { calls: 3, syscalls: 1, processes: 1 },
    syscalls: [
      {
        abi: 'x86_64',
        name: 'socket',
        nr: 41,
        count: 3,
        coverage: 1,
        errors: { EAFNOSUPPORT: 1 },
        firstSeen: { source: 't.strace', line: 1 },
        processes: ['python3'],
        executables: ['/usr/bin/python3'],
        args: { family: { index: 0, values: [{ value: '1', text: 'AF_UNIX', count: 2 }] } },
        logged: { '0x7ffc0000': 3 },
      },
    ],
  };
  test('structural mutations', () => {
    fc.assert(
      fc.property(mutatedJson(seed), (v) => {
        expectTypedOrOk(() => {
          readEvidence(jsonText(v), 'fuzz.json');
        });
      }),
      params,
    );
  });
  test('text mutations', () => {
    fc.assert(
      fc.property(mutatedText(JSON.stringify(seed, null, 2)), (text) => {
        expectTypedOrOk(() => {
          readEvidence(text, 'fuzz.json');
        });
      }),
      params,
    );
  });
});

describe('fuzz: logs', () => {
  const strace = read('test/fixtures/corpus/traces/argdecode-Xabbrev.strace')
    .split('\n')
    .slice(0, 200)
    .join('\n');
  test('strace text mutations', () => {
    fc.assert(
      fc.property(mutatedText(strace), (text) => {
        expectTypedOrOk(() => {
          parseStrace(text);
        });
      }),
      params,
    );
  });

  const audit = [
    'type=SECCOMP msg=audit(1700000000.123:42): auid=1000 uid=1000 gid=1000 ses=2 subj=unconfined pid=1234 comm="curl" exe="/usr/bin/curl" sig=0 arch=c000003e syscall=41 compat=0 ip=0x7f00 code=0x7ffc0000',
    'Dec 04 12:00:00 host kernel: audit: type=1326 audit(1700000000.5:7): auid=4294967295 uid=0 gid=0 ses=4294967295 pid=99 comm="sh" exe="/bin/sh" sig=31 arch=40000003 syscall=102 compat=1 ip=0xf7f0 code=0x80000000',
  ].join('\n');
  test('audit line mutations', () => {
    fc.assert(
      fc.property(mutatedText(audit), (text) => {
        expectTypedOrOk(() => {
          text.split('\n').forEach((l, i) => parseAuditLine(l, i + 1));
        });
      }),
      params,
    );
  });
});
