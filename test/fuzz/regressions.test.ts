/**
 * Regression cases for inputs that once crashed sysgate, hung it, or were silently misread (issue 9,
 * items 5, 8, 9, 10). The small ones live in test/fixtures/fuzz/; the large ones are generated here.
 * Every case must end in a result or a typed, positioned error. Time is bounded by each test's
 * timeout (no timed assertions): the quadratic versions took minutes where these take seconds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { LogParseError } from '../../src/document/errors.js';
import { ingest } from '../../src/generate/ingest.js';
import { readEvidence, EvidenceError } from '../../src/generate/evidence.js';
import { validateForRunc } from '../../src/runc/check.js';
import { parseProfiles } from '../../src/profile/parse.js';
import { parseSuite, SuiteError } from '../../src/suite/suite.js';
import { parseStrace } from '../../src/trace/strace.js';

const CORPUS = join(import.meta.dirname, '../fixtures/fuzz');

function corpus(name: string): string {
  return readFileSync(join(CORPUS, name), 'utf8');
}

/** Codes of the errors validate reports, in order. */
function errorCodes(text: string, file: string): string[] {
  return validateForRunc(text, file)
    .issues.filter((i) => i.severity === 'error')
    .map((i) => i.code);
}

describe('YAML aliases are resolved exactly, never read as null (item 5)', () => {
  test('an SPO deny rule that reuses an anchored name list keeps its names', () => {
    const [doc] = parseProfiles(corpus('spo-alias.yaml'), 'spo-alias.yaml');
    expect(doc?.profile.syscalls.map((r) => [r.action, r.names])).toEqual([
      ['SCMP_ACT_LOG', ['mount', 'ptrace']],
      ['SCMP_ACT_ERRNO', ['mount', 'ptrace']],
    ]);
  });

  test('a ConfigMap entry that aliases another reads the same profile', () => {
    const docs = parseProfiles(corpus('configmap-alias.yaml'), 'configmap-alias.yaml');
    expect(docs.map((d) => [d.name, d.profile.syscalls[0]?.names])).toEqual([
      ['a.json', ['read']],
      ['b.json', ['read']],
    ]);
  });

  test('an alias bomb in a profile is a positioned error, fast', () => {
    const codes = errorCodes(corpus('spo-alias-bomb.yaml'), 'spo-alias-bomb.yaml');
    expect(codes).toEqual(['yaml-alias']);
  }, 30_000);

  test('a suite reuses an anchored argument list', () => {
    const suite = parseSuite('suite-alias.yaml', corpus('suite-alias.yaml'));
    expect(suite.probes.map((p) => p.args)).toEqual([
      ['0', '0'],
      ['0', '0'],
    ]);
  });

  test('an alias bomb in a suite is a SuiteError, fast', () => {
    expect(() => parseSuite('bomb.yaml', corpus('suite-alias-bomb.yaml'))).toThrow(SuiteError);
  }, 30_000);
});

describe('validate refuses what runc refuses, and points at the keys the file has (item 8)', () => {
  test('an empty or null syscall name is an error', () => {
    const r = validateForRunc(corpus('empty-names.json'), 'empty-names.json');
    expect(r.valid).toBe(false);
    expect(r.issues.filter((i) => i.code === 'empty-syscall-name').map((i) => i.pointer)).toEqual([
      '/syscalls/0/names/1',
      '/syscalls/1/names/0',
    ]);
  });

  test('Firecracker issues name syscall, arg_index and arg_type', () => {
    const r = validateForRunc(corpus('firecracker-keys.json'), 'firecracker-keys.json');
    expect(r.issues.map((i) => [i.code, i.pointer])).toEqual([
      ['empty-syscall-name', '/vmm/filter/1/syscall'],
      ['arg-index-out-of-range', '/vmm/filter/2/args/0/arg_index'],
      ['unknown-arg-type', '/vmm/filter/3/args/0/arg_type'],
      ['unknown-syscall', '/vmm/filter/0/syscall'],
    ]);
  });
});

describe('deep nesting is refused with a position, never a stack overflow (item 9)', () => {
  const cases: [string, string, string][] = [
    ['1,800 levels of JSON arrays (3.6 KB)', corpus('deep-1800.json'), 'deep.json'],
    [
      '100,000 levels of JSON arrays',
      `{"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`,
      'deep.json',
    ],
    ['2,000 levels of YAML flow sequences', corpus('deep-flow.yaml'), 'deep.yaml'],
    [
      '400 levels of YAML block mappings',
      'defaultAction: SCMP_ACT_ALLOW\n' +
        Array.from({ length: 400 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') +
        ' 1\n',
      'deep.yaml',
    ],
    [
      '100,000 levels of YAML flow mappings',
      `x: ${'{a: '.repeat(100_000)}1${'}'.repeat(100_000)}\n`,
      'deep.yaml',
    ],
  ];
  test.each(cases)('%s', (_name, text, file) => {
    const r = validateForRunc(text, file);
    expect(r.issues.map((i) => i.code)).toEqual(['too-deep']);
    expect(r.issues[0]?.position?.line).toBeGreaterThan(0);
  });

  test('an evidence file nested 1,800 levels deep is an EvidenceError or reads', () => {
    try {
      readEvidence(corpus('deep-evidence.json'), 'deep.json');
    } catch (e) {
      expect(e).toBeInstanceOf(EvidenceError);
    }
  });

  test('nesting within the limit still reads', () => {
    const text = `{"defaultAction":"SCMP_ACT_ALLOW","x":${'['.repeat(200)}${']'.repeat(200)}}`;
    expect(validateForRunc(text, 'ok.json').valid).toBe(true);
  });
});

/** Bound of each large case: seconds now, minutes (or a crash) before the fixes. */
describe('large inputs: no crash, linear time (items 9 and 10)', () => {
  test('200,000 plain rules validate', () => {
    const text = JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: Array.from({ length: 200_000 }, () => ({
        names: ['read'],
        action: 'SCMP_ACT_ALLOW',
      })),
    });
    const r = validateForRunc(text, 'big.json');
    expect(r.valid).toBe(true);
    expect(r.issues).toHaveLength(199_999);
  }, 30_000);

  test('50,000 unknown top-level keys validate in seconds', () => {
    const o: Record<string, unknown> = { defaultAction: 'SCMP_ACT_ALLOW' };
    for (let i = 0; i < 50_000; i++) o[`k${i}`] = i;
    const text = JSON.stringify(o);
    const n = validateForRunc(text, 'keys.json').issues.length;
    expect(n).toBe(50_000);
  }, 30_000);

  test('100,000 unknown syscall names validate in seconds', () => {
    const text = JSON.stringify({
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        {
          names: Array.from({ length: 100_000 }, (_, i) => `nosuch${i}`),
          action: 'SCMP_ACT_ALLOW',
        },
      ],
    });
    const n = validateForRunc(text, 'unknown.json').issues.length;
    expect(n).toBe(100_000);
  }, 30_000);

  test.each([
    ['quoted', (i: number) => `  p${i}.json: '{"defaultAction":"SCMP_ACT_ALLOW"}'\n`],
    ['block scalars', (i: number) => `  p${i}.json: |\n    {"defaultAction":"SCMP_ACT_ALLOW"}\n`],
  ])(
    'a ConfigMap with 20,000 %s entries reads in seconds',
    (_name, entry) => {
      let text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n';
      for (let i = 0; i < 20_000; i++) text += entry(i);
      const n = validateForRunc(text, 'cm.yaml').documents.length;
      expect(n).toBe(20_000);
    },
    30_000,
  );
});

describe('logs (item 9 and 10)', () => {
  test("a leading-zero result that is not octal is a warning, not a crash ('= 09')", () => {
    const { events, warnings } = parseStrace(corpus('strace-bad-octal.strace'));
    expect(events.map((e) => e.kind)).toEqual(['call', 'call']);
    expect(warnings.map((w) => w.message)).toEqual([
      'call without a return value: getpid',
      'call without a return value: read',
    ]);
  });

  /** A stream of `total` bytes of one line without a newline, in 1 MiB chunks. */
  function longLine(total: number): Readable {
    const chunk = Buffer.alloc(1 << 20, 'a');
    return Readable.from(
      (function* () {
        for (let sent = 0; sent < total; sent += chunk.length) yield chunk;
      })(),
    );
  }

  test('a line without newline is refused at the cap, with bounded memory and time', async () => {
    const before = process.memoryUsage().rss;
    await expect(
      ingest({ name: 'huge.log', stream: longLine(256 << 20) }, { host: 'x86_64' }),
    ).rejects.toThrow(LogParseError);
    expect(process.memoryUsage().rss - before).toBeLessThan(400 << 20);
  }, 30_000);

  test('a 16 MiB line (the cap) is read in linear time', async () => {
    const line = `execve("/bin/${'a'.repeat((16 << 20) - 100)}", [], []) = 0\n`;
    const ev = await ingest(
      {
        name: 'long.strace',
        stream: Readable.from(
          (function* () {
            const b = Buffer.from(line);
            for (let o = 0; o < b.length; o += 1 << 20) yield b.subarray(o, o + (1 << 20));
          })(),
        ),
      },
      { host: 'x86_64' },
    );
    expect(ev.syscalls.map((s) => s.name)).toEqual(['execve']);
  }, 30_000);
});
