/**
 * Shape phase: text -> documents -> {@link LoadedProfile}s. Detects the input format (Docker/moby,
 * Podman, OCI config.json, SPO SeccompProfile, legacy ConfigMap, Firecracker, 2016 libcontainer),
 * reads every profile a file holds and collects every syntax and decoding problem with its position.
 * Semantic checks live in check.ts.
 */
import { ProfileError, type ProfileIssue } from './errors.js';
import { errorList, sortIssues, type LineColumn } from '../document/issues.js';
import { DecodeContext, decodeString, join } from './decode.js';
import { readDockerProfile, type DockerDialect, type DockerExtras } from './formats/docker.js';
import { looksLikeFirecracker, readFirecracker } from './formats/firecracker.js';
import { looksLikeLibcontainer, readLibcontainer } from './formats/libcontainer.js';
import {
  childNode,
  parseJsonSource,
  parseYamlSource,
  type SourceDocument,
  type SourceNode,
} from '../document/source.js';
import type { LoadedProfile, Profile, ProfileFormat } from './types.js';

/** Everything the shape phase found in one file; never thrown. */
export interface ParsedSource {
  /** File name as given. */
  readonly file: string;
  /** Format of the first profile, or undefined when none was read. */
  readonly format: ProfileFormat | undefined;
  /** Every profile read (possibly with errors recorded in `issues`). */
  readonly documents: readonly LoadedProfile[];
  /** Syntax and decoding issues, errors first. */
  readonly issues: readonly ProfileIssue[];
}

/** SPO API versions seen in the wild (the corpus), oldest first. */
export const SPO_API_VERSIONS: readonly string[] = [
  'seccomp-operator.x-k8s.io/v1alpha1',
  'security-profiles-operator.x-k8s.io/v1alpha1',
  'security-profiles-operator.x-k8s.io/v1beta1',
  'security-profiles-operator.x-k8s.io/v1',
];

function isYamlName(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

function looksLikeJson(text: string): boolean {
  const t = text.replace(/^\uFEFF/, '').trimStart();
  return t.startsWith('{') || t.startsWith('[');
}

function stringMember(node: SourceNode, key: string): string | undefined {
  const v = childNode(node, key);
  return v?.kind === 'string' ? v.value : undefined;
}

/** Detect which Docker-shaped dialect a profile object is written in. */
function dockerDialect(root: SourceNode): 'docker' | 'podman' {
  if (root.kind !== 'object') return 'docker';
  if (root.members.some((m) => m.key.toLowerCase() === 'defaulterrno')) return 'podman';
  const syscalls = childNode(root, 'syscalls');
  if (syscalls?.kind === 'array') {
    for (const r of syscalls.items) {
      if (r.kind === 'object' && r.members.some((m) => m.key.toLowerCase() === 'errno'))
        return 'podman';
    }
  }
  return 'docker';
}

/** Detect the format of a JSON (or YAML) document root. */
export function detectFormat(root: SourceNode): ProfileFormat | undefined {
  if (root.kind !== 'object') return undefined;
  const kind = stringMember(root, 'kind');
  if (kind === 'SeccompProfile') return 'spo';
  if (kind === 'ConfigMap') return 'configmap';
  if (looksLikeLibcontainer(root)) return 'libcontainer';
  if (childNode(root, 'ociVersion') !== undefined || childNode(root, 'linux')?.kind === 'object')
    return 'oci-config';
  if (looksLikeFirecracker(root)) return 'firecracker';
  return dockerDialect(root);
}

type Emit = (doc: {
  profile: Profile | undefined;
  format: ProfileFormat;
  pointer: string;
  name?: string;
  baseProfileName?: string;
  locate: (pointer: string) => LineColumn | undefined;
  ctx: DecodeContext;
}) => void;

function readDocker(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  dialect: DockerDialect,
  extraKeys?: readonly string[],
): { profile: Profile | undefined; extras: DockerExtras } {
  const extras: DockerExtras = {};
  const profile = readDockerProfile(ctx, node, pointer, {
    dialect,
    extras,
    ...(extraKeys ? { extraKeys } : {}),
  });
  return { profile, extras };
}

function readSpo(
  ctx: DecodeContext,
  root: SourceNode,
  locate: SourceDocument['locate'],
  emit: Emit,
): void {
  const apiVersion = stringMember(root, 'apiVersion') ?? '';
  if (!SPO_API_VERSIONS.includes(apiVersion)) {
    ctx.warn(
      'unknown-api-version',
      `unknown SeccompProfile apiVersion "${apiVersion}" (known: ${SPO_API_VERSIONS.join(', ')})`,
      '/apiVersion',
    );
  }
  const metadata = childNode(root, 'metadata');
  const name = metadata === undefined ? undefined : stringMember(metadata, 'name');
  const spec = childNode(root, 'spec');
  if (spec === undefined) {
    ctx.error('missing-field', 'SeccompProfile without spec', '');
    return;
  }
  // targetWorkload was a v1alpha1 field; later versions prune it.
  const extra = apiVersion.endsWith('/v1alpha1') ? ['targetWorkload'] : [];
  const { profile, extras } = readDocker(ctx, spec, '/spec', 'spo', extra);
  emit({
    profile,
    format: 'spo',
    pointer: '/spec',
    ...(name === undefined ? {} : { name }),
    ...(extras.baseProfileName === undefined ? {} : { baseProfileName: extras.baseProfileName }),
    locate,
    ctx,
  });
}

function readOciConfig(
  ctx: DecodeContext,
  root: SourceNode,
  locate: SourceDocument['locate'],
  emit: Emit,
): void {
  const linux = childNode(root, 'linux');
  const seccomp = linux === undefined ? undefined : childNode(linux, 'seccomp');
  if (seccomp === undefined || seccomp.kind === 'null') {
    ctx.error(
      'no-profile',
      'config.json has no linux.seccomp section',
      linux === undefined ? '' : '/linux',
    );
    return;
  }
  const { profile } = readDocker(ctx, seccomp, '/linux/seccomp', 'oci');
  emit({ profile, format: 'oci-config', pointer: '/linux/seccomp', locate, ctx });
}

/** Map a position inside a ConfigMap value back to the YAML file. */
function embeddedLocate(
  value: Extract<SourceNode, { kind: 'string' }>,
  outer: SourceDocument['locate'],
  outerPointer: string,
) {
  return (inner: LineColumn | undefined): LineColumn | undefined => {
    if (inner === undefined || value.block === undefined || value.block.indent < 0)
      return outer(outerPointer);
    return {
      line: value.block.firstLine + inner.line - 1,
      column: value.block.indent + inner.column,
    };
  };
}

function readConfigMap(
  ctx: DecodeContext,
  root: SourceNode,
  locate: SourceDocument['locate'],
  file: string,
  emit: Emit,
): void {
  const data = childNode(root, 'data');
  if (data?.kind !== 'object') {
    ctx.error('no-profile', 'ConfigMap without a data map', '');
    return;
  }
  for (const m of data.members) {
    const ptr = join('/data', m.key);
    const text = decodeString(ctx, m.value, ptr, 'ConfigMap data');
    if (text === undefined || m.value.kind !== 'string') continue;
    const map = embeddedLocate(m.value, locate, ptr);
    const inner = parseJsonSource(text, file);
    for (const issue of inner.issues) {
      const pos = map(issue.position);
      ctx.issues.push({
        ...issue,
        message: `${issue.message} (in ConfigMap entry "${m.key}")`,
        ...(pos === undefined ? {} : { position: { file, line: pos.line, column: pos.column } }),
      });
    }
    const doc = inner.documents[0];
    if (doc?.root === undefined) continue;
    const innerLocate = (p: string): LineColumn | undefined => map(doc.locate(p));
    const innerCtx = new DecodeContext(file, innerLocate);
    const dialect = detectFormat(doc.root);
    const { profile } =
      dialect === 'podman'
        ? readDocker(innerCtx, doc.root, '', 'podman')
        : readDocker(innerCtx, doc.root, '', 'docker');
    for (const i of innerCtx.issues)
      ctx.issues.push({ ...i, message: `${i.message} (in ConfigMap entry "${m.key}")` });
    emit({
      profile,
      format: 'configmap',
      pointer: '',
      name: m.key,
      locate: innerLocate,
      ctx: innerCtx,
    });
  }
}

function readDocument(
  root: SourceNode,
  locate: SourceDocument['locate'],
  ctx: DecodeContext,
  file: string,
  yaml: boolean,
  emit: Emit,
): void {
  const format = detectFormat(root);
  switch (format) {
    case undefined:
      ctx.error('not-a-profile', `expected a profile object, found ${root.kind}`, '');
      return;
    case 'spo':
      readSpo(ctx, root, locate, emit);
      return;
    case 'configmap':
      readConfigMap(ctx, root, locate, file, emit);
      return;
    case 'oci-config':
      readOciConfig(ctx, root, locate, emit);
      return;
    case 'libcontainer':
      emit({ profile: readLibcontainer(ctx, root), format, pointer: '', locate, ctx });
      return;
    case 'firecracker':
      for (const t of readFirecracker(ctx, root)) {
        emit({ profile: t.profile, format, pointer: t.pointer, name: t.name, locate, ctx });
      }
      return;
    case 'docker':
    case 'podman': {
      if (
        yaml &&
        childNode(root, 'defaultAction') === undefined &&
        childNode(root, 'syscalls') === undefined
      ) {
        const kind = stringMember(root, 'kind');
        ctx.warn(
          'not-a-profile',
          `YAML document${kind === undefined ? '' : ` of kind ${kind}`} is not a seccomp profile; skipped`,
          '',
        );
        return;
      }
      const { profile } = readDocker(ctx, root, '', format);
      emit({ profile, format, pointer: '', locate, ctx });
      return;
    }
    default: {
      const never: never = format;
      throw new Error(`unhandled format ${String(never)}`);
    }
  }
}

/**
 * Read every profile in `text` without throwing: the documents that could be read and every
 * syntax/decoding issue (errors first). The format is chosen by file extension (`.yaml`/`.yml`),
 * else by content (JSON when it starts with `{` or `[`).
 */
export function readProfileSource(text: string, file: string): ParsedSource {
  const yaml = isYamlName(file) || (!/\.json$/i.test(file) && !looksLikeJson(text));
  const parsed = yaml ? parseYamlSource(text, file) : parseJsonSource(text, file);
  const issues: ProfileIssue[] = [...parsed.issues];
  if (yaml && /\{\{[-\s]/.test(text) && parsed.issues.some((i) => i.severity === 'error')) {
    issues.push({
      code: 'template',
      severity: 'error',
      message: 'the file contains {{ }} template directives (Helm/Go templates); render it first',
      pointer: '',
      position: { file, line: 1, column: 1 },
    });
  }
  const documents: LoadedProfile[] = [];
  const jsonSyntaxError = !yaml && parsed.issues.some((i) => i.severity === 'error');
  parsed.documents.forEach((doc, documentIndex) => {
    if (doc.root === undefined || jsonSyntaxError) return;
    const ctx = new DecodeContext(file, doc.locate);
    const pending: Parameters<Emit>[0][] = [];
    readDocument(doc.root, doc.locate, ctx, file, yaml, (d) => pending.push(d));
    for (const i of ctx.issues) issues.push(i);
    for (const d of pending) {
      if (d.profile === undefined) continue;
      const own = (d.ctx === ctx ? ctx.issues : d.ctx.issues).filter(
        (i) =>
          i.severity === 'warning' &&
          (d.pointer === '' || i.pointer === d.pointer || i.pointer.startsWith(d.pointer + '/')),
      );
      const syntaxWarnings =
        parsed.documents.length === 1 ? parsed.issues.filter((i) => i.severity === 'warning') : [];
      documents.push({
        profile: d.profile,
        format: d.format,
        file,
        ...(d.name === undefined ? {} : { name: d.name }),
        pointer: d.pointer,
        documentIndex,
        ...(d.baseProfileName === undefined ? {} : { baseProfileName: d.baseProfileName }),
        warnings: [...syntaxWarnings, ...own],
        locate: d.locate,
      });
    }
  });
  if (documents.length === 0 && !issues.some((i) => i.severity === 'error')) {
    issues.push({
      code: 'no-profile',
      severity: 'error',
      message: 'no seccomp profile found in the file',
      pointer: '',
      position: { file, line: 1, column: 1 },
    });
  }
  return { file, format: documents[0]?.format, documents, issues: sortIssues(issues) };
}

/** Throw a ProfileError holding `issues` when any of them is an error. */
export function throwIfErrors(issues: readonly ProfileIssue[], what?: string): void {
  const list = errorList(issues);
  if (list !== undefined) throw new ProfileError(list, what);
}

/**
 * Parse every profile a file holds (multi-document YAML, ConfigMaps, Firecracker threads). Throws
 * {@link ProfileError} with every syntax/decoding issue when the file cannot be read as the real
 * decoder would; semantic checks are {@link checkProfile}'s job.
 */
export function parseProfiles(text: string, file: string): LoadedProfile[] {
  const r = readProfileSource(text, file);
  throwIfErrors(r.issues);
  return [...r.documents];
}

/** Parse a file that must hold exactly one profile. */
export function parseProfile(text: string, file: string): LoadedProfile {
  const docs = parseProfiles(text, file);
  const only = docs[0];
  if (docs.length !== 1 || only === undefined) {
    throw new ProfileError([
      {
        code: 'not-one-profile',
        severity: 'error',
        message: `expected exactly one profile, found ${docs.length}${docs.length > 1 ? ` (${docs.map((d) => d.name ?? d.pointer ?? '?').join(', ')})` : ''}`,
        pointer: '',
        position: { file, line: 1, column: 1 },
      },
    ]);
  }
  return only;
}
