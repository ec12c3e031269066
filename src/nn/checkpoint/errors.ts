/**
 * Typed errors of checkpoint encoding, decoding and file I/O. Each message says what
 * happened, why, and the fix; the facts are also fields.
 */
import { Data } from "effect"

/**
 * The file is not a valid safetensors file: bad header length, header not UTF-8 JSON, a header
 * that violates the schema (unknown dtype, negative or fractional shape, offsets that overlap,
 * leave gaps, or disagree with shape × dtype size), or bytes after the last tensor.
 *
 * @example
 * import { Console, Effect } from "effect"
 * import { loadCheckpoint } from "tanka/node"
 * declare const path: string
 * loadCheckpoint(path).pipe(Effect.catchTag("CheckpointCorruptError", (e) => Console.error(e.reason)))
 */
export class CheckpointCorruptError extends Data.TaggedError("CheckpointCorruptError")<{
  /** The file, when the bytes came from one. */
  readonly path: string | undefined
  /** What is wrong, without the advice. */
  readonly reason: string
  readonly message: string
}> {}

/**
 * The file ends early: in the 8-byte length prefix, in the header, or in the tensor data.
 *
 * @example
 * import { Console, Effect } from "effect"
 * import { loadCheckpoint } from "tanka/node"
 * declare const path: string
 * // e.expectedBytes > e.actualBytes; copy the file again
 * loadCheckpoint(path).pipe(Effect.catchTag("CheckpointTruncatedError", (e) => Effect.fail(e)))
 */
export class CheckpointTruncatedError extends Data.TaggedError("CheckpointTruncatedError")<{
  readonly path: string | undefined
  /** Bytes the header says the file has (or at least has). */
  readonly expectedBytes: number
  /** Bytes actually present. */
  readonly actualBytes: number
  readonly message: string
}> {}

/**
 * The header is well-formed but larger than tanka parses: more tensor or metadata entries,
 * deeper nesting, or a larger parsed size than the documented limits (`HEADER_LIMITS`). The
 * header is checked against them before it is parsed, so a hostile or runaway file costs
 * milliseconds, not minutes and gigabytes.
 *
 * @example
 * import { Console, Effect } from "effect"
 * import { loadCheckpoint } from "tanka/node"
 * declare const path: string
 * loadCheckpoint(path).pipe(Effect.catchTag("CheckpointLimitError", (e) => Console.error(e.limit, e.value, e.max)))
 */
export class CheckpointLimitError extends Data.TaggedError("CheckpointLimitError")<{
  readonly path: string | undefined
  /** Which limit: `"tensors"`, `"metadata"`, `"depth"` or `"memory"` (a key of `HEADER_LIMITS`). */
  readonly limit: string
  /** The value found (for `memory`, the estimate in bytes). */
  readonly value: number
  /** The limit. */
  readonly max: number
  readonly message: string
}> {}

/** One tensor whose shape or dtype differs between the file and the expected tree. */
export interface MisShapedKey {
  readonly key: string
  /** The expected type, e.g. `f32[784,300]`. */
  readonly expected: string
  /** The type found in the file. */
  readonly actual: string
}

/**
 * The checkpoint does not fit the expected tree (`like`): keys missing from the file, extra
 * keys in the file, or tensors of another shape or dtype.
 *
 * @example
 * import { Console, Effect } from "effect"
 * import { loadCheckpoint } from "tanka/node"
 * declare const path: string
 * import type { hk } from "tanka/node"
 * declare const params: hk.ParamTree
 * loadCheckpoint(path, { like: params }).pipe(
 *   Effect.catchTag("CheckpointMismatchError", (e) => Console.error(e.missing, e.extra, e.misShaped)))
 */
export class CheckpointMismatchError extends Data.TaggedError("CheckpointMismatchError")<{
  readonly path: string | undefined
  /** Keys (`module/param`) the expected tree has and the file lacks. */
  readonly missing: ReadonlyArray<string>
  /** Keys the file has and the expected tree lacks. */
  readonly extra: ReadonlyArray<string>
  /** Keys present in both with different shapes or dtypes. */
  readonly misShaped: ReadonlyArray<MisShapedKey>
  readonly message: string
}> {}

/**
 * The tree handed to `encodeSafetensors`/`saveCheckpoint` is not a two-level tree of concrete
 * tensors, or the `like`/`likeState` tree handed to `loadCheckpoint` is not a two-level tree of
 * tensors or `{ shape, dtype }` structs.
 *
 * @example
 * import { encodeSafetensors, jnp } from "tanka"
 * encodeSafetensors({ w: jnp.ones([3]) } as never) // throws: the top level must hold modules
 */
export class CheckpointTreeError extends Data.TaggedError("CheckpointTreeError")<{
  /** The offending key (`module/param`, or the module path), when there is one. */
  readonly key: string | undefined
  readonly message: string
}> {}

/**
 * Reading, writing, syncing or renaming the file failed (missing file, permissions, disk full, …).
 *
 * @example
 * import { loadCheckpoint } from "tanka/node"
 * loadCheckpoint("missing.safetensors") // fails with { operation: "read", cause: ENOENT }
 */
export class CheckpointIOError extends Data.TaggedError("CheckpointIOError")<{
  readonly path: string
  /** The step that failed: `read`, `open`, `write`, `fsync`, `rename`. */
  readonly operation: string
  readonly cause: unknown
  readonly message: string
}> {}

/**
 * Every error a checkpoint API can fail with.
 *
 * @example
 * import { loadCheckpoint, type CheckpointError, type hk } from "tanka/node"
 * const program: Effect.Effect<hk.ParamTree, CheckpointError> = loadCheckpoint("m.safetensors")
 */
export type CheckpointError =
  | CheckpointCorruptError
  | CheckpointLimitError
  | CheckpointTruncatedError
  | CheckpointMismatchError
  | CheckpointTreeError
  | CheckpointIOError

const TAGS = new Set(["CheckpointCorruptError", "CheckpointLimitError", "CheckpointTruncatedError", "CheckpointMismatchError", "CheckpointTreeError", "CheckpointIOError"])

/**
 * Is `e` one of the checkpoint errors?
 *
 * @example
 * import { decodeSafetensors } from "tanka"
 * import { isCheckpointError } from "tanka/internal/nn/checkpoint/errors.js"
 * declare const bytes: Uint8Array
 * try { decodeSafetensors(bytes) } catch (e) { if (isCheckpointError(e)) console.error(e.message) }
 */
export const isCheckpointError = (e: unknown): e is CheckpointError =>
  typeof e === "object" && e !== null && TAGS.has((e as { _tag?: unknown })._tag as string)

const where = (path: string | undefined): string => (path === undefined ? "the safetensors data" : `checkpoint ${JSON.stringify(path)}`)

/** A `CheckpointCorruptError`; `advice` replaces the standard "restore or save again". */
export const corrupt = (path: string | undefined, reason: string, advice?: string): CheckpointCorruptError =>
  new CheckpointCorruptError({
    path,
    reason,
    message: `${where(path)} is corrupt: ${reason}. ${advice ?? "It is not a valid safetensors file; restore it from a backup or save the checkpoint again."}`
  })

/** A `CheckpointTruncatedError` with the standard advice. */
export const truncated = (path: string | undefined, part: string, expectedBytes: number, actualBytes: number): CheckpointTruncatedError =>
  new CheckpointTruncatedError({
    path,
    expectedBytes,
    actualBytes,
    message: `${where(path)} is truncated in the ${part}: it needs ${expectedBytes} bytes but has ${actualBytes}. The file was cut short (an interrupted copy or download); copy it again or save the checkpoint again.`
  })
