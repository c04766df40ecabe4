/**
 * The whole pipeline for one file: shape (parse.ts) then semantics (check.ts), every issue
 * collected. {@link validateProfileSource} never throws on bad input; {@link loadProfile} throws a
 * {@link ProfileError} holding every issue when the profile is not usable.
 */
import { ProfileError, type ProfileIssue } from './errors.js';
import { checkProfile, type CheckOptions } from './check.js';
import { sortIssues } from '../document/issues.js';
import { readProfileSource, throwIfErrors } from './parse.js';
import type { LoadedProfile, ProfileFormat } from './types.js';

/** Result of validating one file. */
export interface ValidationResult {
  /** File name as given. */
  readonly file: string;
  /** Format of the first profile, when one was read. */
  readonly format: ProfileFormat | undefined;
  /** Every profile read from the file. */
  readonly documents: readonly LoadedProfile[];
  /** Every issue (syntax, shape, semantics), errors first. */
  readonly issues: readonly ProfileIssue[];
  /** True when no issue is an error. */
  readonly valid: boolean;
}

/** Options for {@link validateProfileSource}. */
export interface ValidateOptions extends Pick<CheckOptions, 'libseccomp'> {
  /**
   * The semantic check of each profile; default {@link checkProfile} (the document's own). Layers
   * above pass theirs (src/runc `checkForRunc` adds runc's rule handling).
   */
  readonly check?: (doc: LoadedProfile, opts: CheckOptions) => ProfileIssue[];
}

/** Options for {@link loadProfile}. */
export interface LoadOptions extends ValidateOptions {
  /**
   * Pick one profile of a file that holds several (SPO multi-document YAML, a ConfigMap, Firecracker
   * threads) by its name: SPO `metadata.name`, ConfigMap key or Firecracker thread.
   */
  readonly document?: string | undefined;
}

/** The names of the profiles in a file, for messages. */
function documentNames(documents: readonly LoadedProfile[]): string {
  const names = documents.map((d) => d.name).filter((n): n is string => n !== undefined);
  return names.length === 0 ? '' : `: ${names.join(', ')}`;
}

/** Parse and check every profile in a file; never throws for bad input. */
export function validateProfileSource(
  text: string,
  file: string,
  opts: ValidateOptions = {},
): ValidationResult {
  const parsed = readProfileSource(text, file);
  const issues: ProfileIssue[] = [...parsed.issues];
  const check = opts.check ?? checkProfile;
  for (const doc of parsed.documents) for (const i of check(doc, opts)) issues.push(i);
  const sorted = sortIssues(issues);
  return {
    file,
    format: parsed.format,
    documents: parsed.documents,
    issues: sorted,
    valid: !sorted.some((i) => i.severity === 'error'),
  };
}

/**
 * Load a file that holds exactly one profile (or the one named by `opts.document`): parse, check, and
 * return it with every warning, or throw a ProfileError with every issue (errors first) when the real
 * stack would refuse it.
 */
export function loadProfile(file: string, text: string, opts: LoadOptions = {}): LoadedProfile {
  if (opts.document !== undefined) {
    const parsed = readProfileSource(text, file);
    throwIfErrors(sortIssues([...parsed.issues]));
    const doc = parsed.documents.find((d) => d.name === opts.document);
    if (doc === undefined) {
      throw new ProfileError([
        {
          code: 'no-such-document',
          severity: 'error',
          message: `no profile named "${opts.document}"; the file holds ${parsed.documents.length}${documentNames(parsed.documents)}`,
          pointer: '',
          position: { file, line: 1, column: 1 },
        },
      ]);
    }
    const issues = sortIssues((opts.check ?? checkProfile)(doc, opts));
    throwIfErrors(issues);
    return { ...doc, warnings: issues.filter((i) => i.severity === 'warning') };
  }
  const r = validateProfileSource(text, file, opts);
  throwIfErrors(r.issues);
  const only = r.documents[0];
  if (r.documents.length !== 1 || only === undefined) {
    throw new ProfileError([
      {
        code: 'not-one-profile',
        severity: 'error',
        message: `expected exactly one profile, found ${r.documents.length}${documentNames(r.documents)}; pick one with FILE#NAME`,
        pointer: '',
        position: { file, line: 1, column: 1 },
      },
    ]);
  }
  return { ...only, warnings: r.issues.filter((i) => i.severity === 'warning') };
}
