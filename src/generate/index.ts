/** Public API of the generate layer: evidence, generation, merging, advice, ingestion and recording. */
export * from './evidence.js';
export * from './generate.js';
export * from './merge.js';
export * from './advise.js';
export * from './ingest.js';
export * from './outcomes.js';
export * from './twin.js';
export * from './record.js';
export * from './widen.js';
export {
  resolveSymbol,
  familyName,
  personalityName,
  namespaceFlagNames,
  CLONE_NAMESPACE_MASK,
} from './symbols.js';
export * from './provenance.js';
