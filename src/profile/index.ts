/** Public API of the profile layer: the model, parsing, checking and writing of seccomp profiles. */
export * from './types.js';
export * from './errors.js';
export {
  parseProfile,
  parseProfiles,
  readProfileSource,
  detectFormat,
  SPO_API_VERSIONS,
  type ParsedSource,
} from './parse.js';
export { checkProfile, RUNC_FLAGS, type CheckOptions } from './check.js';
export {
  loadProfile,
  validateProfileSource,
  type LoadOptions,
  type ValidationResult,
  type ValidateOptions,
} from './load.js';
export { writeProfile, isCanonical } from './write.js';
export { RUNC_ARCHES, profileArch, type ProfileArch } from './arches.js';
