/**
 * A rollout across a fleet through the security-profiles-operator: one `SeccompProfile` object per
 * phase reached (`NAME-phase-a`, `NAME-phase-b`, `NAME-phase-c`), annotated with the phase and the
 * enforcing profile's hash, so pods move between phases by changing their `localhostProfile`
 * (`operator/NAME-phase-b.json`: the operator writes each object to the kubelet's seccomp root).
 */
import { parseDocument } from 'yaml';
import { toSpo, type SpoApiVersion } from '../profile/convert/index.js';
import type { Profile } from '../profile/types.js';
import { PHASE_TEXT, type Phase, type RolloutState } from './rollout.js';

/** Annotation keys on each object. */
export const ANNOTATION_PHASE = 'sysgate.dev/rollout-phase';
export const ANNOTATION_PROFILE = 'sysgate.dev/profile-sha256';

/** The object name of a phase. */
export function spoObjectName(name: string, phase: Phase): string {
  return `${name}-phase-${phase.toLowerCase()}`;
}

/** The pod `securityContext.seccompProfile` that selects a phase's object. */
export function podSeccompProfile(
  name: string,
  phase: Phase,
): { type: 'Localhost'; localhostProfile: string } {
  return { type: 'Localhost', localhostProfile: `operator/${spoObjectName(name, phase)}.json` };
}

/** Options of {@link spoManifests}. */
export interface SpoManifestOptions {
  /** Object name prefix (an RFC 1123 subdomain). */
  readonly name: string;
  readonly apiVersion: SpoApiVersion;
  readonly state: RolloutState;
}

/** A multi-document YAML stream with one SeccompProfile per phase, in phase order. */
export function spoManifests(
  phases: readonly { phase: Phase; profile: Profile }[],
  opts: SpoManifestOptions,
): string {
  const docs = [...phases]
    .sort((a, b) => a.phase.localeCompare(b.phase))
    .map(({ phase, profile }) => {
      const doc = parseDocument(toSpo(profile, spoObjectName(opts.name, phase), opts.apiVersion));
      doc.setIn(['metadata', 'labels'], { 'app.kubernetes.io/managed-by': 'sysgate' });
      doc.setIn(['metadata', 'annotations'], {
        [ANNOTATION_PHASE]: phase,
        [ANNOTATION_PROFILE]: opts.state.profile.sha256,
        'sysgate.dev/rollout-phase-text': PHASE_TEXT[phase],
      });
      return doc.toString();
    });
  return docs.map((d) => `---\n${d}`).join('');
}
