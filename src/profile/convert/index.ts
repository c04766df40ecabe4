/** Format conversion: Docker JSON, OCI `linux.seccomp` and SPO `SeccompProfile` YAML (the C program is src/runc/c.ts). */
export { dockerProfileText, toDocker } from './docker.js';
export { toOci, toOciObject } from './oci.js';
export { toSpo, spoIssues, K8S_NAME_RE, SPO_ARCHES, SPO_FLAGS, type SpoApiVersion } from './spo.js';
export { stringifyJson, type JsonValue } from './json.js';
export { systemdFilter, systemdLines, type SystemdFilter } from './systemd.js';
