/**
 * The platform-neutral part of checkpoints: the safetensors codec over bytes, the header schema
 * and limits, and the errors. File I/O (`saveCheckpoint`, `loadCheckpoint`) is Node-only and
 * exported from `./index.ts`.
 *
 * @module
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
