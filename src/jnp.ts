/**
 * `jnp`: array operations with numpy names and broadcasting.
 *
 * JAX: `jax.numpy`.
 *
 * @module
 */
export * from "./transforms/numpy/creation.js"
export * from "./transforms/numpy/ops.js"
export { promoteTypes } from "./transforms/numpy/promote.js"
export * from "./transforms/numpy/math.js"
export * from "./transforms/numpy/sorting.js"
export * from "./transforms/numpy/manipulation.js"
export { einsum } from "./transforms/numpy/einsum.js"
export { at, type AtIndex, type IndexSpec } from "./transforms/numpy/at.js"
export * as linalg from "./transforms/numpy/linalg.js"
