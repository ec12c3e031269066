/**
 * Checkpoints: Haiku param/state trees as `.safetensors` files, with a schema-validated header,
 * typed errors and atomic saves.
 */
export {
  CheckpointCorruptError,
  CheckpointLimitError,
  CheckpointTruncatedError,
  CheckpointMismatchError,
  CheckpointTreeError,
  CheckpointIOError,
  isCheckpointError,
  type CheckpointError,
  type MisShapedKey
} from "./errors.js"
export { SafetensorsHeader, TensorInfo, MAX_HEADER_BYTES, type DTypeCode } from "./header.js"
export { HEADER_LIMITS } from "./headerScan.js"
export { encodeSafetensors, decodeSafetensors, STATE_PREFIX, type ParamTree, type StateTree, type Checkpoint, type EncodeOptions } from "./safetensors.js"
export { saveCheckpoint } from "./saveCheckpoint.js"
export { writeFileAtomic, removeStaleTemporaries } from "./writeFileAtomic.js"
export { loadCheckpoint, loadCheckpointWithState, checkTreeMatches, type ExpectedTree, type ExpectedLeaf, type LoadOptions } from "./loadCheckpoint.js"
