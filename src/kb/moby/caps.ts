/** moby's capability facts. */

/**
 * Docker's default capability set (moby oci/caps/defaults.go `DefaultCapabilities`), in moby's
 * order. These are the bounding caps `includes.caps`/`excludes.caps` are evaluated against.
 */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);
