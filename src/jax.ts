/**
 * `jax`: raw transforms (pure functions only), `jax.random`, `jax.lax`, `jax.nn`, `jax.tree`.
 *
 * @module
 */
export { vmap, type VmapOptions } from "./transforms/raw/vmap.js"
export { grad, valueAndGrad, jvp, vjp, linearize, type GradOptions } from "./transforms/raw/autodiff.js"
export { jit, makeJaxpr, evalShape, type Jitted, type JitOptions } from "./transforms/raw/jit.js"
export { checkpoint, checkpoint as remat } from "./transforms/raw/control.js"
export type { Pure, PureOut, PurityError, RawFixes, RawName } from "./transforms/raw/purity.js"
export * as random from "./transforms/random/random.js"
export * as nn from "./transforms/numpy/nn.js"
export * as tree from "./jax/tree.js"
export * as lax from "./jax/lax.js"
export { setBackend, getBackend, availableModes, setThreads, getThreads, transferStats, type Mode, type TransferStats } from "./kernels/index.js"
export { runAsync } from "./kernels/asyncLaunch.js"
export { config, setDebugNans, setDebugInfs, type ConfigOptions, type ConfigName } from "./jax/config.js"
export { shapeDtypeStruct, type ShapeDtypeStruct } from "./transforms/core/aval.js"
