/** Public API of the review layer: lint, the semantic diff of two filters and a profile's attack surface. */
export {
  changeOf,
  describeRegion,
  diffFilters,
  hostAbis,
  type Change,
  type Difference,
  type DiffOptions,
  type DiffResult,
  type FilterSide,
} from './diff.js';
export { containerSide, processSide, type LiveSide } from './diff-side.js';
export {
  attackSurface,
  surfaceReduction,
  type AbiSurface,
  type Exposure,
  type RiskCount,
  type SurfaceReduction,
} from './score.js';
export * from './lint/index.js';
