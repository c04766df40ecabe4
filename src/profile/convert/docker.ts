/**
 * Docker/moby JSON output: the profile layer's canonical writer (`writeProfile`), so `convert --to
 * docker` and `fmt` always agree byte for byte; and the text a `docker run --security-opt seccomp=`
 * of a loaded profile reads.
 */
import type { LoadedProfile, Profile } from '../types.js';
import { writeProfile } from '../write.js';

/** Serialize a profile as canonical Docker/moby JSON (deterministic, trailing newline). */
export function toDocker(profile: Profile): string {
  return writeProfile(profile);
}

/**
 * What Docker should read for `loaded`, parsed from `text`: the file itself, byte for byte, when it is
 * a Docker profile in plain JSON (what the daemon decodes, 64-bit values and fields sysgate does not
 * model included); otherwise (YAML, comments, another format, one document of several) the canonical
 * Docker JSON of its model, whose 64-bit values are exact decimal literals.
 */
export function dockerProfileText(loaded: LoadedProfile, text: string): string {
  // A plain JSON text holds one document; the profile is all of it when its pointer is the root.
  if (loaded.format === 'docker' && (loaded.pointer ?? '') === '' && isPlainJson(text)) return text;
  return toDocker(loaded.profile);
}

/** Whether `text` is one JSON value, as Go's decoder would accept it (no comments, no BOM). */
function isPlainJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
