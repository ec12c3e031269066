/**
 * Checkpoint saves: encode, then write atomically (`writeFileAtomic`).
 */
import { Effect } from "effect"
import { CheckpointTreeError, isCheckpointError, type CheckpointError } from "./errors.js"
import { writeFileAtomic } from "./writeFileAtomic.js"
import { encodeSafetensors, type EncodeOptions, type ParamTree } from "./safetensors.js"

/** Turn anything thrown by the pure codec into a checkpoint error. */
export const toCheckpointError = (cause: unknown): CheckpointError =>
  isCheckpointError(cause) ? cause : new CheckpointTreeError({ key: undefined, message: `checkpoint: ${(cause as Error)?.message ?? String(cause)}` })

/**
 * Save params (and optionally state and metadata) to `path` as a `.safetensors` file, atomically:
 * an interrupted save leaves the previous checkpoint intact. Keys are `module/name`, state under
 * `state:module/name` (see `encodeSafetensors`).
 *
 * Haiku has no checkpoint API; this is the format of the `safetensors` library
 * (`safetensors.numpy.save_file`).
 *
 * @example
 * import { Effect } from "effect"
 * import { saveCheckpoint } from "tanka/node"
 * yield* saveCheckpoint("mlp.safetensors", params, { metadata: { epoch: "10" } })
 */
export const saveCheckpoint = (path: string, params: ParamTree, options: EncodeOptions = {}): Effect.Effect<void, CheckpointError> =>
  Effect.try({ try: () => encodeSafetensors(params, options), catch: toCheckpointError }).pipe(
    Effect.flatMap((bytes) => writeFileAtomic(path, bytes))
  )
