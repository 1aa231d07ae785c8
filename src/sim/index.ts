/** The deterministic cluster simulator: see docs/simulator.md. */
export { formatResult, reproduceCommand } from './format.js';
export { SimLimits } from './limits.js';
export {
  drawParams,
  formatParams,
  PLANTED_BUGS,
  type PlantedBug,
  SIM_DETECTORS,
  SIM_PROFILES,
  type SimDetector,
  type SimOptions,
  type SimParams,
  type SimProfile,
} from './params.js';
export { drawPartition, PARTITION_SHAPES, type Partition, type PartitionShape } from './partitions.js';
export { type RunOptions, runSim, type SimResult } from './run.js';
export { VIOLATION_KINDS, type Violation, type ViolationKind } from './safety.js';
export { type SweepOptions, type SweepOutcome, sweep } from './sweep.js';
export { World } from './world.js';
