/**
 * tanka: DeepMind Haiku's programming model for TypeScript. Haiku's hidden state is a typed
 * Effect; JAX-style transforms run on gpu.js kernels.
 *
 * This entry is platform-neutral (browsers, bundlers, Node): it imports no Node module. File I/O
 * (`saveCheckpoint`, `loadCheckpoint`, the MNIST loader) is in `tanka/node`, which Node also
 * resolves for `tanka` itself (the `node` export condition).
 *
 * @example
 * import { jax, jnp, type Tensor } from "tanka"
 * const f = (x: Tensor) => jnp.sum(jnp.tanh(x))
 * jax.grad(f)(jnp.ones([3]))
 *
 * @module
 */
export * as jnp from "./jnp.js"
export * as jax from "./jax.js"
export * as hk from "./hk.js"
export { Tensor } from "./transforms/core/Tensor.js"
export type { NestedArray } from "./transforms/core/Tensor.js"
export { ShapedArray, type ShapeDtypeStruct } from "./transforms/core/aval.js"
export { ClosedJaxpr, Jaxpr } from "./transforms/core/jaxpr.js"
export type { Key } from "./transforms/random/random.js"
export type { DType } from "./kernels/dtype.js"
export {
  UnexpectedTracerError,
  ConcretizationError,
  ShapeError,
  DTypeError,
  TransformArgumentError,
  AsyncBodyError,
  ArrayDataError,
  FloatingPointError,
  ConfigError
} from "./transforms/core/errors.js"
export {
  HaikuContextError,
  MissingParameterError,
  ParameterShapeError,
  MissingInitializerError,
  MissingRngError,
  NonEmptyStateError,
  MissingStateError,
  LiftKeyCollisionError,
  NestedTransformError,
  ModuleNameError,
  InvalidKeyError,
  InvalidParamsError,
  WrappedTransformError,
  EnsembleSizeError
} from "./effects/errors.js"
export * as optax from "./nn/optim/index.js"
export * as data from "./nn/data/index.js"
export {
  encodeSafetensors,
  decodeSafetensors,
  HEADER_LIMITS,
  CheckpointCorruptError,
  CheckpointLimitError,
  CheckpointTruncatedError,
  CheckpointMismatchError,
  CheckpointTreeError,
  CheckpointIOError,
  type Checkpoint,
  type CheckpointError
} from "./nn/checkpoint/neutral.js"
export { OptimizerError } from "./nn/optim/index.js"
export { BackendUnavailableError, KernelLimitError, IndexOutOfRangeError, IntegerRangeError, KernelShapeError } from "./kernels/errors.js"
export { ModuleConfigError } from "./nn/modules/errors.js"
export { NewParametersError, BranchStructureError } from "./effects/wrapped/errors.js"
