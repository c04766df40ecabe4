import { describe, expect, test } from 'vitest';
import { errorList, IssueCollector, sortIssues } from './issues.js';
import { parseJsonSource, parseYamlSource } from './source.js';
import { parsePointer, toPointer } from './pointer.js';

describe('IssueCollector', () => {
  test('attaches the position the pointer maps to', () => {
    const { documents } = parseJsonSource('{\n  "a": [1,\n    2]\n}', 'f.json');
    const c = new IssueCollector<'bad'>('f.json', documents[0]?.locate);
    c.error('bad', 'second item', '/a/1');
    c.warn('bad', 'missing key falls back to its parent', '/a/9');
    expect(c.issues.map((i) => i.position)).toEqual([
      { file: 'f.json', line: 3, column: 5 },
      { file: 'f.json', line: 2, column: 8 },
    ]);
    expect(c.hasErrors()).toBe(true);
  });

  test('an explicit position wins; no file means no position', () => {
    const c = new IssueCollector<'x'>('f', () => ({ line: 9, column: 9 }));
    c.error('x', 'm', '', { position: { file: 'f', line: 1, column: 2 } });
    expect(c.issues[0]?.position).toEqual({ file: 'f', line: 1, column: 2 });
    const d = new IssueCollector<'x'>(undefined, () => ({ line: 9, column: 9 }));
    d.error('x', 'm', '');
    expect(d.issues[0]?.position).toBeUndefined();
  });

  test('errors() is undefined without an error, else sorted errors first', () => {
    const c = new IssueCollector<'w' | 'e'>('f', (p) => ({ line: p === '/b' ? 1 : 2, column: 1 }));
    c.warn('w', 'warning', '/a');
    expect(c.errors()).toBeUndefined();
    c.error('e', 'late', '/a');
    c.error('e', 'early', '/b');
    expect(c.errors()?.map((i) => i.message)).toEqual(['early', 'late', 'warning']);
    expect(errorList(c.issues)).toEqual(c.errors());
    expect(sortIssues(c.issues)).toEqual(c.errors());
  });
});

describe('pointers', () => {
  test.each([[[]], [['a', 0]], [['a/b', '~c', '']]] as const)('%j round-trips', (path) => {
    expect(parsePointer(toPointer(path))).toEqual(path.map(String));
  });
});

describe('YAML positions', () => {
  test('a key inside the second document', () => {
    const { documents } = parseYamlSource('a: 1\n---\nb:\n  c: 2\n', 'f.yaml');
    expect(documents[1]?.locate('/b/c')).toEqual({ line: 4, column: 6 });
  });
});
