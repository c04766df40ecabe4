/** `node:os` for the browser bundle: the report page runs on a little-endian machine's browser. */
export const endianness = (): 'LE' | 'BE' => 'LE';
