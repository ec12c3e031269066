/**
 * `jnp`: array operations with numpy names and broadcasting.
 *
 * JAX: `jax.numpy`.
 */
export * from "./transforms/numpy/creation.js"
export * from "./transforms/numpy/ops.js"
export { promoteTypes } from "./transforms/numpy/promote.js"
