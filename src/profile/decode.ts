/**
 * Decoding helpers that follow Go's `encoding/json` rules, because Docker, Podman, runc and the
 * security-profiles-operator all read profiles with it: object keys match struct fields exactly or
 * else case-insensitively (the last matching key wins), unknown keys are ignored, `null` leaves a
 * field at its zero value, and unsigned integers must be plain non-negative integer literals that
 * fit the type (`1.0`, `-1` and `1e3` fail with "cannot unmarshal number").
 */
import { IssueCollector, type Locate } from '../document/issues.js';
import { joinPointer } from '../document/pointer.js';
import type { SourceNode } from '../document/source.js';
import type { ProfileIssueCode } from './errors.js';

/** Collects a profile document's issues, attaching file positions as it goes. */
export class DecodeContext extends IssueCollector<ProfileIssueCode> {
  constructor(
    /** File name as given. */
    override readonly file: string,
    /** Pointer-to-position mapping of the document. */
    override readonly locate: Locate,
  ) {
    super(file, locate);
  }
}

/** Append one token to a pointer. */
export const join = joinPointer;

/** JSON type name of a node, as Go reports it ("number", "string", "object", "array", "bool"). */
export function jsonType(node: SourceNode): string {
  switch (node.kind) {
    case 'object':
      return 'object';
    case 'array':
      return 'array';
    case 'string':
      return 'string';
    case 'number':
      return 'number';
    case 'boolean':
      return 'bool';
    case 'null':
      return 'null';
  }
}

/** Handler for one struct field: receives the value node and its pointer. */
export type FieldHandler = (node: SourceNode, pointer: string) => void;

/** Options for {@link decodeStruct}. */
export interface StructOptions {
  /** Go type name used in messages, e.g. `Seccomp`. */
  readonly typeName: string;
  /** What an unknown key is: ignored silently by Go (`warning`) or refused (`error`, serde's deny_unknown_fields). */
  readonly unknown: 'warning' | 'error' | 'ignore';
  /** Extra text for unknown-key messages. */
  readonly unknownHint?: string;
  /** Keys that are accepted and ignored without a warning. */
  readonly ignored?: readonly string[];
}

/**
 * Decode an object into struct fields, Go-style. Returns false when the node is not an object (an
 * error is recorded unless it is `null`, which Go treats as "leave the zero value").
 */
export function decodeStruct(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  fields: Readonly<Record<string, FieldHandler>>,
  opts: StructOptions,
): boolean {
  if (node.kind === 'null') return false;
  if (node.kind !== 'object') {
    ctx.error(
      'wrong-type',
      `cannot unmarshal ${jsonType(node)} into Go value of type ${opts.typeName} (object expected)`,
      pointer,
      {
        expected: 'object',
        received: jsonType(node),
      },
    );
    return false;
  }
  const names = Object.keys(fields);
  const ignored = new Set((opts.ignored ?? []).map((k) => k.toLowerCase()));
  for (const m of node.members) {
    const exact = names.find((n) => n === m.key);
    const name = exact ?? names.find((n) => n.toLowerCase() === m.key.toLowerCase());
    const ptr = join(pointer, m.key);
    if (name === undefined) {
      if (ignored.has(m.key.toLowerCase()) || opts.unknown === 'ignore') continue;
      const hint = opts.unknownHint ?? '';
      if (opts.unknown === 'error')
        ctx.error('unknown-key', `unknown key "${m.key}" in ${opts.typeName}${hint}`, ptr);
      else
        ctx.warn(
          'unknown-key',
          `unknown key "${m.key}" in ${opts.typeName} is ignored${hint}`,
          ptr,
        );
      continue;
    }
    fields[name]?.(m.value, ptr);
  }
  return true;
}

/** Decode a Go `string`: `null` gives undefined (no change), anything but a string is an error. */
export function decodeString(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  what: string,
): string | undefined {
  if (node.kind === 'null') return undefined;
  if (node.kind === 'string') return node.value;
  ctx.error(
    'wrong-type',
    `cannot unmarshal ${jsonType(node)} into ${what} of type string`,
    pointer,
    {
      expected: 'string',
      received: jsonType(node),
    },
  );
  return undefined;
}

/** Decode a Go `[]string`: `null` gives undefined; a `null` element becomes "" (Go's zero value). */
export function decodeStringArray(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  what: string,
): string[] | undefined {
  if (node.kind === 'null') return undefined;
  if (node.kind !== 'array') {
    ctx.error(
      'wrong-type',
      `cannot unmarshal ${jsonType(node)} into ${what} of type []string`,
      pointer,
      {
        expected: 'array',
        received: jsonType(node),
      },
    );
    return undefined;
  }
  const out: string[] = [];
  node.items.forEach((item, i) => {
    if (item.kind === 'null') out.push('');
    else out.push(decodeString(ctx, item, join(pointer, i), what) ?? '');
  });
  return out;
}

/** Maximum value of a Go unsigned integer type of `bits` bits. */
function maxUint(bits: 8 | 16 | 32 | 64): bigint {
  return (1n << BigInt(bits)) - 1n;
}

/**
 * Decode a Go unsigned integer (`uint`, `uint32`, `uint64`) exactly, as a bigint. Go parses the
 * literal with strconv.ParseUint, so a fraction or exponent, a minus sign, or a value above the
 * type's maximum fails the whole profile.
 */
export function decodeUint(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  what: string,
  bits: 8 | 16 | 32 | 64 = 64,
): bigint | undefined {
  if (node.kind === 'null') return undefined;
  const type = `uint${bits === 64 ? '64' : String(bits)}`;
  if (node.kind !== 'number') {
    ctx.error(
      'wrong-type',
      `cannot unmarshal ${jsonType(node)} into ${what} of type ${type}`,
      pointer,
      {
        expected: 'number',
        received: jsonType(node),
      },
    );
    return undefined;
  }
  const raw = node.raw;
  if (raw.startsWith('-')) {
    // strconv.ParseUint refuses any sign, even on "-0".
    ctx.error(
      'negative-number',
      `cannot unmarshal number ${raw} into ${what} of type ${type}: negative`,
      pointer,
      {
        expected: `0..${maxUint(bits)}`,
        received: raw,
      },
    );
    return undefined;
  }
  if (!/^\d+$/.test(raw)) {
    ctx.error(
      'fractional-number',
      `cannot unmarshal number ${raw} into ${what} of type ${type}: not an integer`,
      pointer,
      {
        expected: 'an integer',
        received: raw,
      },
    );
    return undefined;
  }
  const value = BigInt(raw);
  if (value > maxUint(bits)) {
    ctx.error(
      'number-out-of-range',
      `cannot unmarshal number ${raw} into ${what} of type ${type}: out of range`,
      pointer,
      {
        expected: `0..${maxUint(bits)}`,
        received: raw,
      },
    );
    return undefined;
  }
  return value;
}

/** Decode a Go slice: `null` gives undefined; each element goes through `item`. */
export function decodeArray<T>(
  ctx: DecodeContext,
  node: SourceNode,
  pointer: string,
  what: string,
  item: (node: SourceNode, pointer: string, index: number) => T | undefined,
): T[] | undefined {
  if (node.kind === 'null') return undefined;
  if (node.kind !== 'array') {
    ctx.error(
      'wrong-type',
      `cannot unmarshal ${jsonType(node)} into ${what} (array expected)`,
      pointer,
      {
        expected: 'array',
        received: jsonType(node),
      },
    );
    return undefined;
  }
  const out: T[] = [];
  node.items.forEach((n, i) => {
    const v = item(n, join(pointer, i), i);
    if (v !== undefined) out.push(v);
  });
  return out;
}

/** A bigint as a JS number, saturating at Number.MAX_SAFE_INTEGER (only used for small fields). */
export function toSafeNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(value);
}
