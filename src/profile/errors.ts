/**
 * The profile stage's error and issue codes. Every problem a profile reader or checker reports has
 * one of the codes below; `validate --json` prints them, so they are part of the interface.
 */
import { DocumentError, type Issue, type IssueList } from '../document/errors.js';
import type { SourceIssueCode } from '../document/source.js';

/** Codes of the problems found while reading and checking a profile (syntax codes included). */
export type ProfileIssueCode =
  | SourceIssueCode
  // Decoding (Go encoding/json rules and the formats' shapes)
  | 'unknown-key'
  | 'wrong-type'
  | 'null-value'
  | 'missing-field'
  | 'fractional-number'
  | 'negative-number'
  | 'number-out-of-range'
  | 'unknown-action'
  | 'unknown-op'
  | 'unknown-arch'
  | 'unknown-errno'
  | 'unknown-arg-type'
  | 'unknown-api-version'
  | 'errno-mismatch'
  | 'name-and-names'
  | 'missing-default-action'
  | 'dword-value-too-large'
  | 'dword-widened'
  | 'same-action'
  | 'template'
  | 'not-a-profile'
  | 'no-profile'
  | 'not-one-profile'
  | 'no-such-document'
  | 'unreadable'
  // Semantics (what runc, libseccomp and the kernel do with it)
  | 'arch-and-archmap'
  | 'architectures-and-archmap'
  | 'duplicate-name'
  | 'empty-names'
  | 'empty-name'
  | 'errno-ignored'
  | 'errno-out-of-range'
  | 'errno-truncated'
  | 'invalid-min-kernel'
  | 'legacy-format'
  | 'notify-default'
  | 'notify-without-listener'
  | 'notify-write'
  | 'rule-equals-default'
  | 'seccomp-disabled'
  | 'syscall-not-on-arches'
  | 'unknown-capability'
  | 'unknown-flag'
  | 'unknown-native-arch'
  | 'unknown-syscall'
  | 'mixed-endian'
  | 'too-many-args'
  | 'arg-index-out-of-range'
  // Refused when runc and libseccomp load it (compile/)
  | 'arch-endian-mismatch'
  | 'empty-syscall-name'
  | 'conflicting-rule'
  | 'libseccomp-error'
  | 'libseccomp-hangs'
  | 'multiplexer-bypass'
  | 'libseccomp-too-long'
  // Conversion targets that cannot hold the profile
  | 'c-notify-unsupported'
  | 'spo-unsupported'
  | 'systemd-unsupported';

/** One problem found in a profile. */
export type ProfileIssue = Issue<ProfileIssueCode>;

/** A profile the real stack would refuse; holds every issue found, not just the first. */
export class ProfileError extends DocumentError<ProfileIssueCode, 'profile-invalid'> {
  constructor(issues: IssueList<ProfileIssueCode>, message?: string) {
    super(
      'profile-invalid',
      issues,
      message ?? `${issues.length} problem(s) in profile: ${issues[0].message}`,
    );
  }
}
