/**
 * Code comments cite `docs/semantics.md#anchor`; every cited anchor must exist in the document, so the
 * citations stay self-contained in the repository.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, test } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const DOC = 'docs/semantics.md';
const CITATION = /docs\/semantics\.md#([\w-]+)/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'fixtures' || entry === 'golden') continue;
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(?:ts|js|mjs|py|c|h|md)$/.test(entry)) out.push(p);
  }
  return out;
}

/** The anchors the document defines: `<a id="...">` tags. */
function anchors(text: string): Set<string> {
  return new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1] ?? ''));
}

describe(DOC, () => {
  const doc = readFileSync(resolve(root, DOC), 'utf8');
  const defined = anchors(doc);

  test('every docs/semantics.md#anchor cited in src/, test/, bench/ and docs/ exists', () => {
    const citations: string[] = [];
    const missing: string[] = [];
    for (const dir of ['src', 'test', 'bench', 'docs', 'tools', 'native']) {
      for (const file of sourceFiles(resolve(root, dir))) {
        if (file === import.meta.filename) continue; // its own comments name the pattern
        const text = readFileSync(file, 'utf8');
        for (const m of text.matchAll(CITATION)) {
          const anchor = m[1] ?? '';
          citations.push(anchor);
          if (!defined.has(anchor)) missing.push(`${relative(root, file)}: #${anchor}`);
        }
      }
    }
    expect(missing).toEqual([]);
    expect(citations.length).toBeGreaterThan(20);
  });

  test('links inside the document point at its own anchors, and no anchor is defined twice', () => {
    const links = [...doc.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1] ?? '');
    expect(links.filter((l) => !defined.has(l))).toEqual([]);
    const ids = [...doc.matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]);
    expect(ids.length).toBe(defined.size);
  });
});
