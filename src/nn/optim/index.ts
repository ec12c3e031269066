/**
 * Optimizers in optax's style: pure gradient transformations over pytrees of tensors.
 *
 * optax: `optax`.
 *
 * @module
 */
export {
  type GradientTransformation,
  type PyTree,
  type StateOf,
  type ChainState,
  type EmptyState,
  type Schedule,
  type ScalarOrSchedule,
  OptimizerError,
  identity,
  chain,
  applyUpdates,
  globalNorm
} from "./GradientTransformation.js"
export { scale, scaleBySchedule, scaleByLearningRate, type ScaleByScheduleState } from "./scale.js"
export { scaleByAdam, type ScaleByAdamOptions, type ScaleByAdamState } from "./scaleByAdam.js"
export { trace, type TraceOptions, type TraceState } from "./trace.js"
export { clipByGlobalNorm } from "./clipByGlobalNorm.js"
export { addDecayedWeights, type WeightDecayMask } from "./addDecayedWeights.js"
export { sgd, adam, adamw, type SgdOptions, type AdamOptions, type AdamWOptions, type LearningRateState } from "./alias.js"
