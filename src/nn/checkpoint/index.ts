/**
 * Checkpoints: Haiku param/state trees as `.safetensors` files, with a schema-validated header,
 * typed errors and atomic saves. The codec (`./neutral.ts`) is platform-neutral; the file I/O
 * here is Node-only.
 *
 * @module
 */
export * from "./neutral.js"
export { saveCheckpoint } from "./saveCheckpoint.js"
export { writeFileAtomic, removeStaleTemporaries } from "./writeFileAtomic.js"
export { loadCheckpoint, loadCheckpointWithState, checkTreeMatches, type ExpectedTree, type ExpectedLeaf, type LoadOptions } from "./loadCheckpoint.js"
