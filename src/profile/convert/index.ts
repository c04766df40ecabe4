/** Format conversion: Docker JSON, OCI `linux.seccomp`, SPO `SeccompProfile` YAML and a libseccomp C program. */
export { toDocker } from './docker.js';
export { toOci, toOciObject } from './oci.js';
export { toSpo, spoIssues, SPO_ARCHES, SPO_FLAGS, type SpoApiVersion } from './spo.js';
export { toC, type ToCOptions } from './c.js';
export { stringifyJson, type JsonValue } from './json.js';
