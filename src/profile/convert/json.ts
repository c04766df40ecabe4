/**
 * A small deterministic JSON writer: keys in insertion order, two-space indent, `bigint` written as
 * an exact decimal number (Go decodes uint64 values up to 2^64-1 from plain JSON numbers), and
 * `undefined` members left out.
 */

/** A value the writer accepts. */
export type JsonValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | undefined
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** Serialize `value` deterministically, with a trailing newline. */
export function stringifyJson(value: JsonValue, indent = '  '): string {
  return write(value, '', indent) + '\n';
}

function write(value: JsonValue, pad: string, indent: string): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'string':
      return JSON.stringify(value);
    case 'object':
      break;
    case 'function':
    case 'symbol':
    case 'undefined':
      return 'null';
  }
  const inner = pad + indent;
  if (isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + write(v, inner, indent)).join(',\n')}\n${pad}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${write(v, inner, indent)}`).join(',\n')}\n${pad}}`;
}

function isArray(value: JsonValue): value is readonly JsonValue[] {
  return Array.isArray(value);
}
