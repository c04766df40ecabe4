/**
 * Applying fixes: every edit is made on the source text (JSON through jsonc-parser's edits, so the
 * rest of the file keeps its layout; YAML through the yaml library's document model), then the fixed
 * profile is compiled next to the original for the host and the two filters are diffed: a fix that
 * lets anything run that the original refused is refused, and the file is left as it was.
 */
import { maybeStack } from '../../compile/runtime-versions.js';
import { findNodeAtLocation, parseTree, type Node as JsonNode } from 'jsonc-parser';
import { parseAllDocuments } from 'yaml';
import { compileProfile } from '../../compile/compile.js';
import { parsePointer } from '../../document/pointer.js';
import { ProfileError } from '../../profile/errors.js';
import { readProfileSource } from '../../profile/parse.js';
import { resolveProfile } from '../../profile/resolve.js';
import type { LoadedProfile } from '../../profile/types.js';
import { diffFilters, type FilterSide } from '../diff.js';
import type { Fix, FixEdit, LintHost } from './types.js';

/** What {@link applyFixes} did. */
export interface FixResult {
  /** The fixed text (the original when nothing was applied). */
  readonly text: string;
  /** How many fixes were applied. */
  readonly applied: number;
  /** Why the fixes were not applied, when they were not. */
  readonly refused?: string;
}

type Path = (string | number)[];

function toPath(pointer: string): Path {
  return parsePointer(pointer).map((t) => (/^(?:0|[1-9]\d*)$/.test(t) ? Number(t) : t));
}

/** Compare paths so that later siblings and deeper nodes come first (edits never shift each other). */
function laterFirst(a: Path, b: Path): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return y - x;
    return String(y) < String(x) ? -1 : 1;
  }
  return b.length - a.length;
}

function isInside(inner: Path, outer: Path): boolean {
  return inner.length > outer.length && outer.every((t, i) => inner[i] === t);
}

/** The edits of `fixes` for one document, ordered, without edits inside a removed node. */
function plannedEdits(
  fixes: readonly Fix[],
  documentIndex: number,
): { edit: FixEdit; path: Path }[] {
  const all = fixes
    .filter((f) => (f.documentIndex ?? 0) === documentIndex)
    .flatMap((f) => f.edits.map((edit) => ({ edit, path: toPath(edit.pointer) })));
  const removed = all.filter((e) => e.edit.op === 'remove').map((e) => e.path);
  const seen = new Set<string>();
  return all
    .filter((e) => !removed.some((r) => isInside(e.path, r)))
    .filter((e) => {
      const key = `${e.edit.op}\0${e.edit.pointer}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => laterFirst(a.path, b.path));
}

/** The span of a node to cut so that its array or object stays well formed (the separator goes too). */
function cutSpan(node: JsonNode): [number, number] {
  // An object member is its property node (key and value); an array item is the value.
  const self = node.parent?.type === 'property' ? node.parent : node;
  const siblings = self.parent?.children ?? [self];
  const i = siblings.indexOf(self);
  const next = siblings[i + 1];
  const prev = siblings[i - 1];
  if (next !== undefined) return [self.offset, next.offset];
  if (prev !== undefined) return [prev.offset + prev.length, self.offset + self.length];
  return [self.offset, self.offset + self.length];
}

function editJson(text: string, fixes: readonly Fix[]): string {
  let out = text;
  for (const { edit, path } of plannedEdits(fixes, 0)) {
    const tree = parseTree(out);
    const node = tree === undefined ? undefined : findNodeAtLocation(tree, path);
    if (node === undefined) continue;
    if (edit.op === 'remove') {
      const [a, b] = cutSpan(node);
      out = out.slice(0, a) + out.slice(b);
    } else {
      out =
        out.slice(0, node.offset) +
        JSON.stringify(edit.value) +
        out.slice(node.offset + node.length);
    }
  }
  return out;
}

function editYaml(text: string, fixes: readonly Fix[]): string {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) return text;
  docs.forEach((d, i) => {
    for (const { edit, path } of plannedEdits(fixes, i)) {
      if (edit.op === 'remove') d.deleteIn(path);
      else d.setIn(path, edit.value);
    }
  });
  return docs.map((d) => d.toString()).join('');
}

function side(doc: LoadedProfile, host: LintHost, label: string): FilterSide | undefined {
  const moby = resolveProfile(doc.profile, host);
  if (moby === null) return undefined;
  const resolved = maybeStack(moby, host.stack).profile;
  const c = compileProfile(resolved, {
    arch: host.arch,
    libseccompVersion: host.libseccomp,
    ...(host.stack !== undefined && { stack: host.stack }),
    stats: false,
  });
  return { label, filters: [c.program], plan: c.plan };
}

/**
 * Apply `fixes` to `text` and check the result: it must read as the same number of profiles, and on
 * the host no profile may let a call run that the original refused.
 */
export function applyFixes(
  text: string,
  file: string,
  fixes: readonly Fix[],
  host: LintHost,
): FixResult {
  if (fixes.length === 0) return { text, applied: 0 };
  const before = readProfileSource(text, file);
  const format = before.format;
  if (format === 'configmap')
    return { text, applied: 0, refused: 'fixes inside ConfigMap entries are not supported' };
  const yaml = /\.ya?ml$/i.test(file) || !/^\s*[{[]/.test(text.replace(/^\uFEFF/, ''));
  const fixed = yaml ? editYaml(text, fixes) : editJson(text, fixes);
  const after = readProfileSource(fixed, file);
  if (
    after.documents.length !== before.documents.length ||
    after.issues.filter((i) => i.severity === 'error').length >
      before.issues.filter((i) => i.severity === 'error').length
  )
    return { text, applied: 0, refused: 'the fixed file does not read as the same profiles' };
  try {
    for (const [i, b] of before.documents.entries()) {
      const a = after.documents[i];
      if (a === undefined) return { text, applied: 0, refused: 'a profile disappeared' };
      const oldSide = side(b, host, 'original');
      const newSide = side(a, host, 'fixed');
      if (oldSide === undefined || newSide === undefined) {
        if (oldSide !== newSide) return { text, applied: 0, refused: 'seccomp would switch off' };
        continue;
      }
      const d = diffFilters(oldSide, newSide, { abis: host.abis, maxRegions: 1 });
      const looser = d.differences.find((x) => x.change === 'looser');
      if (looser !== undefined)
        return {
          text,
          applied: 0,
          refused: `the fix would let ${looser.abi} ${looser.syscall} run (${looser.old} -> ${looser.new})`,
        };
    }
  } catch (e) {
    if (e instanceof ProfileError)
      return { text, applied: 0, refused: `the fixed profile is refused: ${e.issues[0].message}` };
    throw e;
  }
  return { text: fixed, applied: fixes.length };
}
