/**
 * tanka for Node: everything in the platform-neutral root, plus file I/O — checkpoints
 * (`saveCheckpoint`, `loadCheckpoint`, `loadCheckpointWithState`, atomic writes) and the MNIST
 * loader (`data.loadMnist`). Node resolves `import … from "tanka"` to this entry (the `node`
 * export condition); `tanka/node` names it explicitly. Browser bundles get the root, which imports
 * no Node module.
 *
 * @example
 * import { saveCheckpoint, loadCheckpoint } from "tanka/node"
 * Effect.runPromise(saveCheckpoint("model.safetensors", params)).then(() => console.log("saved"))
 *
 * @module
 */
export * from "./index.js"
export * as data from "./nn/data/node.js"
export { MnistLoadError } from "./nn/data/node.js"
export { saveCheckpoint, loadCheckpoint, loadCheckpointWithState, writeFileAtomic, removeStaleTemporaries, checkTreeMatches, type LoadOptions, type ExpectedTree, type ExpectedLeaf } from "./nn/checkpoint/index.js"
