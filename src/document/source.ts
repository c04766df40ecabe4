/**
 * Position-tracking syntax trees for profile documents. JSON is read with `jsonc-parser` in strict
 * mode (Go's `encoding/json` refuses comments and trailing commas, so we do too), YAML with `yaml`
 * (every document of a multi-document stream). Both become the same small {@link SourceNode} tree,
 * whose nodes remember their source offsets so that any RFC 6901 pointer can be mapped back to a
 * 1-based line and column.
 */
import {
  parseTree,
  printParseErrorCode,
  type Node as JsonNode,
  type ParseError,
} from 'jsonc-parser';
import {
  CST,
  isAlias,
  Lexer,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { Issue } from './errors.js';
import type { LineColumn } from './issues.js';
import { parsePointer } from './pointer.js';

/** Codes of the issues the syntax layer reports. */
export type SourceIssueCode =
  'syntax' | 'duplicate-key' | 'yaml-warning' | 'yaml-alias' | 'too-deep';

/**
 * Deepest nesting of arrays and objects (flow or block) a document may have. Profiles, suites and
 * evidence files nest about 6 levels; a deeper document is refused before it is parsed, because the
 * parsers (and every walker after them) recurse once per level.
 */
export const SOURCE_MAX_DEPTH = 256;

/**
 * Most nodes YAML aliases may expand to in one document. Aliases are resolved exactly (`names: *d`
 * reads the anchored list); a document whose aliases expand to more nodes than this (an alias bomb,
 * "billion laughs") is refused with the alias's position.
 */
export const YAML_MAX_ALIAS_NODES = 100_000;

/** A JSON/YAML object member, in document order (duplicates kept). */
export interface SourceMember {
  /** Key as written. */
  readonly key: string;
  /** Offset of the key. */
  readonly keyOffset: number;
  /** The member's value. */
  readonly value: SourceNode;
}

/** One node of a parsed document; `offset` is a character offset into the source text. */
export type SourceNode =
  | { readonly kind: 'object'; readonly offset: number; readonly members: readonly SourceMember[] }
  | { readonly kind: 'array'; readonly offset: number; readonly items: readonly SourceNode[] }
  | {
      readonly kind: 'string';
      readonly offset: number;
      readonly value: string;
      readonly block?: BlockScalar;
    }
  | { readonly kind: 'number'; readonly offset: number; readonly raw: string }
  | { readonly kind: 'boolean'; readonly offset: number; readonly value: boolean }
  | { readonly kind: 'null'; readonly offset: number };

/** Where a YAML block scalar's content lines start, so text inside it can be located. */
export interface BlockScalar {
  /** 1-based line of the first content line. */
  readonly firstLine: number;
  /** Indentation (in columns) stripped from every content line. */
  readonly indent: number;
}

/** Maps character offsets to 1-based lines and columns. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.starts.push(i + 1);
  }

  /** 1-based line/column of a character offset. */
  position(offset: number): LineColumn {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }
}

/** One parsed document of a source file. */
export interface SourceDocument {
  /** Root node, or undefined when the document is empty or unparsable. */
  readonly root: SourceNode | undefined;
  /** Map a pointer to a position (nearest existing ancestor when the pointer does not resolve). */
  readonly locate: (pointer: string) => LineColumn | undefined;
}

/** Result of parsing a source file: its documents and any syntax issues. */
export interface SourceParse {
  /** The documents (one for JSON). */
  readonly documents: readonly SourceDocument[];
  /** Syntax errors and warnings (e.g. duplicate keys), with positions. */
  readonly issues: readonly Issue<SourceIssueCode>[];
}

/** Find the child a pointer token selects. Keys match exactly, else case-insensitively (Go, last wins). */
export function childNode(node: SourceNode, token: string): SourceNode | undefined {
  if (node.kind === 'object') {
    // Small objects are scanned; large ones get an index once, so lookups stay O(1) (a document
    // with n keys is located n times by the warnings about them).
    if (node.members.length <= 16) {
      let exact: SourceNode | undefined;
      let folded: SourceNode | undefined;
      const lower = token.toLowerCase();
      for (const m of node.members) {
        if (m.key === token) exact = m.value;
        else if (m.key.toLowerCase() === lower) folded = m.value;
      }
      return exact ?? folded;
    }
    const index = memberIndex(node.members);
    return index.exact.get(token) ?? index.folded.get(token.toLowerCase());
  }
  if (node.kind === 'array') {
    if (!/^(?:0|[1-9]\d*)$/.test(token)) return undefined;
    return node.items[Number(token)];
  }
  return undefined;
}

/** Exact and case-folded key lookups of one object's members (the last one wins, as in Go). */
interface MemberIndex {
  readonly exact: ReadonlyMap<string, SourceNode>;
  readonly folded: ReadonlyMap<string, SourceNode>;
}

const memberIndexes = new WeakMap<readonly SourceMember[], MemberIndex>();

function memberIndex(members: readonly SourceMember[]): MemberIndex {
  let index = memberIndexes.get(members);
  if (index === undefined) {
    const exact = new Map<string, SourceNode>();
    const folded = new Map<string, SourceNode>();
    for (const m of members) {
      exact.set(m.key, m.value);
      folded.set(m.key.toLowerCase(), m.value);
    }
    index = { exact, folded };
    memberIndexes.set(members, index);
  }
  return index;
}

/** The deepest node a pointer reaches (the node itself when the pointer resolves fully). */
export function nearestNode(root: SourceNode, pointer: string): SourceNode {
  let node = root;
  for (const token of parsePointer(pointer)) {
    const next = childNode(node, token);
    if (next === undefined) break;
    node = next;
  }
  return node;
}

function makeLocate(
  root: SourceNode | undefined,
  index: LineIndex,
): (pointer: string) => LineColumn | undefined {
  return (pointer) =>
    root === undefined ? undefined : index.position(nearestNode(root, pointer).offset);
}

function syntaxIssue(
  file: string,
  index: LineIndex,
  offset: number,
  code: SourceIssueCode,
  message: string,
  severity: 'error' | 'warning' = 'error',
  pointer = '',
): Issue<SourceIssueCode> {
  const { line, column } = index.position(offset);
  return { code, severity, message, pointer, position: { file, line, column } };
}

/**
 * Offset of the first bracket that opens a level beyond {@link SOURCE_MAX_DEPTH}, or undefined:
 * one linear pass over JSON text (strings skipped).
 */
function jsonNestingAt(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // Skip a string (an unterminated one ends at the line's end; the parser reports it).
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34 || d === 10) break;
      }
    } else if (c === 91 || c === 123) {
      if (++depth > SOURCE_MAX_DEPTH) return i;
    } else if ((c === 93 || c === 125) && depth > 0) depth--;
  }
  return undefined;
}

/** Lexer markers that stand for no source text (document start, flow error end, scalar start). */
const ZERO_WIDTH_TOKENS: ReadonlySet<string> = new Set(['\u0002', '\u0018', '\u001f']);

/**
 * Offset where a YAML stream first nests beyond {@link SOURCE_MAX_DEPTH}, or undefined. Read with
 * the `yaml` lexer (iterative, linear; quoted and block scalars and comments are single tokens):
 * flow brackets count one level each, and block levels are the open indentation columns of line
 * starts and `-`/`?` indicators outside flow context. It may overestimate, never underestimate.
 */
function yamlNestingAt(text: string): number | undefined {
  let flow = 0;
  const blocks: number[] = [];
  let offset = 0;
  let column = 0;
  let lineStart = true;
  const open = (at: number): boolean => {
    while (blocks.length > 0 && (blocks[blocks.length - 1] ?? 0) >= at) blocks.pop();
    blocks.push(at);
    return blocks.length + flow > SOURCE_MAX_DEPTH;
  };
  for (const token of new Lexer().lex(text)) {
    if (ZERO_WIDTH_TOKENS.has(token)) continue;
    const type = CST.tokenType(token);
    let deep = false;
    if (type === 'newline') {
      lineStart = true;
    } else if (type === 'space') {
      // Indentation: the line's first real token decides its block level.
    } else if (type === 'flow-map-start' || type === 'flow-seq-start') {
      if (lineStart && flow === 0) deep = open(column);
      lineStart = false;
      flow++;
      deep ||= blocks.length + flow > SOURCE_MAX_DEPTH;
    } else if (type === 'flow-map-end' || type === 'flow-seq-end') {
      if (flow > 0) flow--;
      lineStart = false;
    } else if (type === 'doc-start') {
      blocks.length = 0;
      lineStart = false;
    } else if (type === 'comment') {
      // A comment opens nothing.
    } else {
      if (flow === 0 && (lineStart || type === 'seq-item-ind' || type === 'explicit-key-ind'))
        deep = open(column);
      lineStart = false;
    }
    if (deep) return offset;
    offset += token.length;
    const nl = token.lastIndexOf('\n');
    column = nl < 0 ? column + token.length : token.length - nl - 1;
  }
  return undefined;
}

/** The issue for a document nested deeper than {@link SOURCE_MAX_DEPTH}, when it is. */
function nestingIssue(
  text: string,
  yaml: boolean,
  file: string,
  index: LineIndex,
): Issue<SourceIssueCode> | undefined {
  const at = yaml ? yamlNestingAt(text) : jsonNestingAt(text);
  return at === undefined
    ? undefined
    : syntaxIssue(
        file,
        index,
        at,
        'too-deep',
        `the document nests deeper than ${SOURCE_MAX_DEPTH} levels; sysgate refuses it`,
      );
}

const JSON_ERROR_TEXT: Partial<Record<string, string>> = {
  InvalidSymbol: 'invalid character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'object key expected',
  ValueExpected: 'value expected',
  ColonExpected: "':' expected",
  CommaExpected: "',' expected",
  CloseBraceExpected: "'}' expected",
  CloseBracketExpected: "']' expected",
  EndOfFileExpected: 'unexpected text after the top-level value',
  InvalidCommentToken: 'comments are not allowed in JSON (Go encoding/json refuses them)',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unterminated number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

function jsonErrorMessage(text: string, e: ParseError): string {
  const name = printParseErrorCode(e.error);
  let msg = JSON_ERROR_TEXT[name] ?? name;
  // A trailing comma shows up as a missing value or key right before a closing bracket.
  if (
    (name === 'ValueExpected' || name === 'PropertyNameExpected') &&
    /^\s*[}\]]/.test(text.slice(e.offset))
  ) {
    msg = 'trailing comma is not allowed in JSON';
  }
  const near = text.slice(e.offset, e.offset + 12).split('\n')[0] ?? '';
  return near === '' ? msg : `${msg} near ${JSON.stringify(near)}`;
}

/** Convert a jsonc-parser node, recording duplicate keys. */
function fromJson(
  node: JsonNode,
  text: string,
  path: string,
  dup: (offset: number, key: string, pointer: string) => void,
): SourceNode {
  switch (node.type) {
    case 'object': {
      const members: SourceMember[] = [];
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const [k, v] = prop.children ?? [];
        if (k === undefined) continue;
        const key = String(k.value);
        const ptr = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
        if (seen.has(key)) dup(k.offset, key, ptr);
        seen.add(key);
        // A property with a missing value (syntax error already reported) becomes null.
        const value =
          v === undefined
            ? ({ kind: 'null', offset: k.offset } as const)
            : fromJson(v, text, ptr, dup);
        members.push({ key, keyOffset: k.offset, value });
      }
      return { kind: 'object', offset: node.offset, members };
    }
    case 'array':
      return {
        kind: 'array',
        offset: node.offset,
        items: (node.children ?? []).map((c, i) => fromJson(c, text, `${path}/${i}`, dup)),
      };
    case 'string':
      return { kind: 'string', offset: node.offset, value: String(node.value) };
    case 'number':
      return {
        kind: 'number',
        offset: node.offset,
        raw: text.slice(node.offset, node.offset + node.length),
      };
    case 'boolean':
      return { kind: 'boolean', offset: node.offset, value: node.value === true };
    case 'null':
      return { kind: 'null', offset: node.offset };
    case 'property':
      return { kind: 'null', offset: node.offset };
  }
}

/**
 * Parse JSON strictly, as Go's encoding/json would: no comments, no trailing commas, nothing after
 * the value. Duplicate keys are accepted (the last one wins, as in Go) with a warning.
 */
export function parseJsonSource(text: string, file: string): SourceParse {
  const index = new LineIndex(text);
  const issues: Issue<SourceIssueCode>[] = [];
  if (text.charCodeAt(0) === 0xfeff) {
    issues.push(
      syntaxIssue(
        file,
        index,
        0,
        'syntax',
        'byte order mark is not allowed (Go encoding/json refuses it)',
      ),
    );
  }
  const deep = nestingIssue(text, false, file, index);
  if (deep !== undefined) {
    return { documents: [{ root: undefined, locate: () => undefined }], issues: [...issues, deep] };
  }
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  });
  // Go's decoder stops at the first syntax error; later ones are mostly echoes of it.
  const first = errors[0];
  if (first !== undefined)
    issues.push(syntaxIssue(file, index, first.offset, 'syntax', jsonErrorMessage(text, first)));
  const root =
    tree === undefined
      ? undefined
      : fromJson(tree, text, '', (offset, key, pointer) =>
          issues.push(
            syntaxIssue(
              file,
              index,
              offset,
              'duplicate-key',
              `duplicate key "${key}": Go's encoding/json keeps the last one`,
              'warning',
              pointer,
            ),
          ),
        );
  if (root === undefined && errors.length === 0) {
    issues.push(syntaxIssue(file, index, 0, 'syntax', 'empty document'));
  }
  return { documents: [{ root, locate: makeLocate(root, index) }], issues };
}

function yamlScalarNode(
  node: YamlNode & { range?: unknown },
  offset: number,
  index: LineIndex,
): SourceNode {
  if (!isScalar(node)) return { kind: 'null', offset };
  const v = node.value;
  if (v === null || v === undefined) return { kind: 'null', offset };
  if (typeof v === 'boolean') return { kind: 'boolean', offset, value: v };
  if (typeof v === 'bigint') return { kind: 'number', offset, raw: v.toString() };
  if (typeof v === 'number') {
    return { kind: 'number', offset, raw: Number.isFinite(v) ? String(v) : 'NaN' };
  }
  const value = typeof v === 'string' ? v : JSON.stringify(v);
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    // Content starts on the line after the header; find its indentation from the first content line.
    const header = index.position(offset).line;
    return { kind: 'string', offset, value, block: { firstLine: header + 1, indent: -1 } };
  }
  return { kind: 'string', offset, value };
}

/** State of one YAML document's conversion. */
interface YamlContext {
  readonly doc: Document.Parsed;
  readonly index: LineIndex;
  readonly text: string;
  readonly file: string;
  readonly issues: Issue<SourceIssueCode>[];
  /** The source split into lines, made on first need (block scalars). */
  lines?: readonly string[];
  /** Converted anchored nodes, shared by every alias to them. */
  readonly anchored: Map<unknown, SourceNode>;
  /** Anchored nodes being converted (an alias to one of them is a cycle). */
  readonly converting: Set<unknown>;
  /** Nodes that aliases have expanded to so far. */
  aliasNodes: number;
  /** Whether the alias budget has been reported. */
  aliasReported: boolean;
}

/** Number of nodes in a converted tree (aliases counted at their full size). */
const nodeCounts = new WeakMap<SourceNode, number>();

function nodeCount(node: SourceNode): number {
  const known = nodeCounts.get(node);
  if (known !== undefined) return known;
  let n = 1;
  if (node.kind === 'object') for (const m of node.members) n += nodeCount(m.value);
  else if (node.kind === 'array') for (const item of node.items) n += nodeCount(item);
  nodeCounts.set(node, n);
  return n;
}

/** Resolve an alias to its anchored node, exactly, within the document's alias budget. */
function fromYamlAlias(
  node: { source: string; range?: [number, number, number] | null },
  resolved: unknown,
  cx: YamlContext,
  path: string,
): SourceNode {
  const offset = node.range?.[0] ?? 0;
  const refuse = (message: string): SourceNode => {
    if (!cx.aliasReported) {
      cx.aliasReported = true;
      cx.issues.push(syntaxIssue(cx.file, cx.index, offset, 'yaml-alias', message, 'error', path));
    }
    return { kind: 'null', offset };
  };
  if (resolved === undefined || resolved === null)
    return refuse(`alias *${node.source} names no anchor before it`);
  if (cx.converting.has(resolved))
    return refuse(`alias *${node.source} refers to a node that contains it`);
  let target = cx.anchored.get(resolved);
  if (target === undefined) {
    cx.converting.add(resolved);
    target = fromYaml(resolved, cx, path);
    cx.converting.delete(resolved);
    cx.anchored.set(resolved, target);
  }
  cx.aliasNodes += nodeCount(target);
  if (cx.aliasNodes > YAML_MAX_ALIAS_NODES)
    return refuse(
      `YAML aliases expand to more than ${YAML_MAX_ALIAS_NODES} nodes (an alias bomb?); sysgate refuses the document`,
    );
  // The alias itself is located where it is written; what it names keeps its own positions.
  return { ...target, offset };
}

function fromYaml(node: unknown, cx: YamlContext, path: string): SourceNode {
  const { index, issues, file } = cx;
  const range = (node as { range?: [number, number, number] } | null)?.range;
  const offset = range?.[0] ?? 0;
  if (isAlias(node)) return fromYamlAlias(node, node.resolve(cx.doc), cx, path);
  if (isMap(node)) {
    const members: SourceMember[] = [];
    const seen = new Set<string>();
    for (const pair of node.items) {
      const k = pair.key;
      const key = isScalar(k) ? String(k.value) : String(k);
      const keyOffset = isScalar(k) ? (k.range?.[0] ?? offset) : offset;
      const ptr = `${path}/${key.replaceAll('~', '~0').replaceAll('/', '~1')}`;
      if (seen.has(key)) {
        issues.push(
          syntaxIssue(
            file,
            index,
            keyOffset,
            'duplicate-key',
            `duplicate key "${key}": the last one wins`,
            'warning',
            ptr,
          ),
        );
      }
      seen.add(key);
      const value =
        pair.value === null || pair.value === undefined
          ? ({ kind: 'null', offset: keyOffset } as const)
          : fromYaml(pair.value, cx, ptr);
      members.push({ key, keyOffset, value });
    }
    return { kind: 'object', offset, members };
  }
  if (isSeq(node)) {
    return {
      kind: 'array',
      offset,
      items: node.items.map((c, i) => fromYaml(c, cx, `${path}/${i}`)),
    };
  }
  const scalar = yamlScalarNode(node as YamlNode, offset, index);
  if (scalar.kind === 'string' && scalar.block !== undefined) {
    // Measure the block's indentation from its first non-empty content line.
    const lines = (cx.lines ??= cx.text.split('\n'));
    let first = scalar.block.firstLine;
    while (first <= lines.length && (lines[first - 1] ?? '').trim() === '') first++;
    const indent = /^ */.exec(lines[first - 1] ?? '')?.[0].length ?? 0;
    return { ...scalar, block: { firstLine: first, indent } };
  }
  return scalar;
}

/** First line of a `yaml` error message, without its own "at line N, column M" suffix. */
function yamlMessage(message: string): string {
  return (message.split('\n')[0] ?? message).replace(/ at line \d+, column \d+:?$/, '');
}

/** Parse every document of a YAML stream. Syntax errors are issues, never exceptions. */
export function parseYamlSource(text: string, file: string): SourceParse {
  const index = new LineIndex(text);
  const issues: Issue<SourceIssueCode>[] = [];
  const documents: SourceDocument[] = [];
  const deep = nestingIssue(text, true, file, index);
  if (deep !== undefined) return { documents, issues: [deep] };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    lineCounter,
    intAsBigInt: true,
    uniqueKeys: false,
    prettyErrors: false,
  });
  const list = Array.isArray(docs) ? docs : [];
  if (!Array.isArray(docs)) {
    // An empty stream parses to a single EmptyStream object.
    issues.push(syntaxIssue(file, index, 0, 'syntax', 'empty document'));
  }
  for (const doc of list) {
    // Report the first error of each document: later ones usually cascade from it.
    const e = doc.errors[0];
    if (e !== undefined)
      issues.push(syntaxIssue(file, index, e.pos[0], 'syntax', yamlMessage(e.message)));
    for (const w of doc.warnings) {
      issues.push(
        syntaxIssue(file, index, w.pos[0], 'yaml-warning', yamlMessage(w.message), 'warning'),
      );
    }
    if (doc.errors.length > 0) continue;
    const cx: YamlContext = {
      doc,
      index,
      text,
      file,
      issues,
      anchored: new Map(),
      converting: new Set(),
      aliasNodes: 0,
      aliasReported: false,
    };
    const root = doc.contents === null ? undefined : fromYaml(doc.contents, cx, '');
    documents.push({ root, locate: makeLocate(root, index) });
  }
  return { documents, issues };
}
