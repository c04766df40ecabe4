/** RFC 6901 JSON pointers: the one way every layer names a place inside a document. */

/** Escape one RFC 6901 reference token. */
export function escapePointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

/** Build an RFC 6901 pointer from path segments. `[]` is the whole document (`""`). */
export function toPointer(path: readonly (string | number)[]): string {
  return path.map((p) => '/' + escapePointerToken(p)).join('');
}

/** Append one token to a pointer. */
export function joinPointer(pointer: string, token: string | number): string {
  return `${pointer}/${escapePointerToken(token)}`;
}

/** Split an RFC 6901 pointer into unescaped tokens. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}
