/**
 * Docker/moby JSON output: the profile layer's canonical writer (`writeProfile`), so `convert --to
 * docker` and `fmt` always agree byte for byte.
 */
import type { Profile } from '../types.js';
import { writeProfile } from '../write.js';

/** Serialize a profile as canonical Docker/moby JSON (deterministic, trailing newline). */
export function toDocker(profile: Profile): string {
  return writeProfile(profile);
}
