/**
 * Fixes: edits on JSON keep the file's layout, on YAML keep comments, several removals in one array
 * do not shift each other, and a fix whose filter would let a call run that the original refused is
 * refused (the diff guard), leaving the text as it was.
 */
import { describe, expect, test } from 'vitest';
import { CASE_HOST } from './case-kit.js';
import { applyFixes } from './fix.js';

const ARCH = '"architectures": ["SCMP_ARCH_X86_64"]';

describe('applyFixes', () => {
  test('removes several names of one rule and a whole rule, later ones first', () => {
    const text = `{
  "defaultAction": "SCMP_ACT_ERRNO", ${ARCH},
  "syscalls": [
    { "names": ["read", "nosuch1", "write", "nosuch2"], "action": "SCMP_ACT_ALLOW" },
    { "names": ["kill"], "action": "SCMP_ACT_ERRNO" }
  ]
}
`;
    const r = applyFixes(
      text,
      'p.json',
      [
        { description: 'a', edits: [{ op: 'remove', pointer: '/syscalls/0/names/1' }] },
        { description: 'b', edits: [{ op: 'remove', pointer: '/syscalls/1' }] },
        { description: 'c', edits: [{ op: 'remove', pointer: '/syscalls/0/names/3' }] },
      ],
      CASE_HOST,
    );
    expect(r.refused).toBeUndefined();
    expect(r.applied).toBe(3);
    expect(r.text).toBe(`{
  "defaultAction": "SCMP_ACT_ERRNO", ${ARCH},
  "syscalls": [
    { "names": ["read", "write"], "action": "SCMP_ACT_ALLOW" }
  ]
}
`);
  });

  test('YAML: the edit is made in the document model, comments stay', () => {
    const text = [
      '# keep me',
      'apiVersion: security-profiles-operator.x-k8s.io/v1beta1',
      'kind: SeccompProfile',
      'metadata:',
      '  name: demo',
      'spec:',
      '  defaultAction: SCMP_ACT_ERRNO',
      '  syscalls:',
      '    - names: [read, gettpid] # typo',
      '      action: SCMP_ACT_ALLOW',
      '',
    ].join('\n');
    const r = applyFixes(
      text,
      'p.yaml',
      [{ description: 'x', edits: [{ op: 'remove', pointer: '/spec/syscalls/0/names/1' }] }],
      CASE_HOST,
    );
    expect(r.refused).toBeUndefined();
    expect(r.text).toContain('# keep me');
    expect(r.text).toContain('# typo');
    expect(r.text).toMatch(/names: \[ ?read ?\]/);
  });

  test('a fix that would allow more is refused and nothing changes', () => {
    const text = `{ "defaultAction": "SCMP_ACT_ALLOW", ${ARCH},
  "syscalls": [{ "names": ["mount"], "action": "SCMP_ACT_ERRNO" }] }
`;
    const r = applyFixes(
      text,
      'p.json',
      [{ description: 'drop the deny', edits: [{ op: 'remove', pointer: '/syscalls/0' }] }],
      CASE_HOST,
    );
    expect(r.applied).toBe(0);
    expect(r.text).toBe(text);
    expect(r.refused).toMatch(/would let x86_64 mount run \(ERRNO\(1\) EPERM -> ALLOW\)/);
  });

  test('a replace keeps a tighter decision (errno 0 -> EPERM)', () => {
    const text = `{ "defaultAction": "SCMP_ACT_ALLOW", ${ARCH},
  "syscalls": [{ "names": ["mount"], "action": "SCMP_ACT_ERRNO", "errnoRet": 0 }] }
`;
    const r = applyFixes(
      text,
      'p.json',
      [
        {
          description: 'EPERM',
          edits: [{ op: 'replace', pointer: '/syscalls/0/errnoRet', value: 1 }],
        },
      ],
      CASE_HOST,
    );
    expect(r.refused).toBeUndefined();
    expect(r.text).toContain('"errnoRet": 1 }');
  });
});
