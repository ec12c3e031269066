/**
 * `jax.tree`: map, leaves, structure and unflatten over arrays, plain objects and tensors.
 *
 * @module
 */
export { map, leaves, structure, unflatten, flatten, type TreeDef } from "../transforms/core/tree.js"
