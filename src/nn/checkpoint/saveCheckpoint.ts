/**
 * Atomic checkpoint saves: write a temporary file in the target's directory, fsync it, then
 * `rename` it over the target. A crash or error at any point before the rename leaves the
 * previous checkpoint untouched (and the temporary file is removed when the error is seen).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { CheckpointIOError, CheckpointTreeError, isCheckpointError, type CheckpointError } from "./errors.js"
import { encodeSafetensors, type EncodeOptions, type ParamTree } from "./safetensors.js"

/** Turn anything thrown by the pure codec into a checkpoint error. */
export const toCheckpointError = (cause: unknown): CheckpointError =>
  isCheckpointError(cause) ? cause : new CheckpointTreeError({ key: undefined, message: `checkpoint: ${(cause as Error)?.message ?? String(cause)}` })

const ioAdvice: Record<string, string> = {
  ENOENT: "the directory does not exist; create it first (e.g. fs.mkdirSync(dir, { recursive: true }))",
  EACCES: "permission denied; choose a writable location",
  EPERM: "permission denied; choose a writable location",
  ENOSPC: "the disk is full; free space and save again",
  EISDIR: "the path is a directory; give a file name such as model.safetensors"
}

/** The error for a failed file operation, with advice from its code. */
export const ioError = (path: string, operation: string, cause: unknown): CheckpointIOError => {
  const code = (cause as NodeJS.ErrnoException)?.code
  const advice =
    operation === "read" && code === "ENOENT"
      ? "no file exists at this path; check the path and the working directory (a checkpoint exists only once its saveCheckpoint has finished)"
      : operation === "read" && code === "EISDIR"
        ? "the path is a directory; give the checkpoint's file name, such as model.safetensors"
        : (code !== undefined && ioAdvice[code]) || "check the path and the file system"
  return new CheckpointIOError({
    path,
    operation,
    cause,
    message: `checkpoint ${JSON.stringify(path)}: ${operation} failed (${(cause as Error)?.message ?? String(cause)}): ${advice}.`
  })
}

/**
 * Write `bytes` to `path` atomically: a temporary file beside it, `fsync`, `rename`, then a
 * best-effort `fsync` of the directory. On failure the temporary file is removed and `path`
 * keeps its previous content.
 *
 * @example
 * yield* writeFileAtomic("model.safetensors", encodeSafetensors(params))
 */
export const writeFileAtomic = (path: string, bytes: Uint8Array): Effect.Effect<void, CheckpointIOError> =>
  Effect.tryPromise({
    try: async () => {
      const dir = nodePath.dirname(path)
      const tmp = nodePath.join(dir, `.${nodePath.basename(path)}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`)
      let stage = "open"
      let handle: fs.promises.FileHandle | undefined
      try {
        handle = await fs.promises.open(tmp, "wx", 0o644)
        stage = "write"
        let written = 0
        while (written < bytes.length) {
          const { bytesWritten } = await handle.write(bytes, written, bytes.length - written)
          written += bytesWritten
        }
        stage = "fsync"
        await handle.sync()
        stage = "close"
        await handle.close()
        handle = undefined
        stage = "rename"
        await fs.promises.rename(tmp, path)
      } catch (cause) {
        await handle?.close().catch(() => undefined)
        await fs.promises.rm(tmp, { force: true }).catch(() => undefined)
        throw { stage, cause }
      }
      // make the rename itself durable; not every platform can open a directory, so best effort
      const dirHandle = await fs.promises.open(dir, "r").catch(() => undefined)
      await dirHandle?.sync().catch(() => undefined)
      await dirHandle?.close().catch(() => undefined)
    },
    catch: (e) => {
      const { stage, cause } = e as { stage?: string; cause?: unknown }
      return ioError(path, stage ?? "write", stage === undefined ? e : cause)
    }
  })

/**
 * Save params (and optionally state and metadata) to `path` as a `.safetensors` file, atomically:
 * an interrupted save leaves the previous checkpoint intact. Keys are `module/name`, state under
 * `state:module/name` (see `encodeSafetensors`).
 *
 * Haiku has no checkpoint API; this is the format of the `safetensors` library
 * (`safetensors.numpy.save_file`).
 *
 * @example
 * yield* saveCheckpoint("mlp.safetensors", params, { metadata: { epoch: "10" } })
 */
export const saveCheckpoint = (path: string, params: ParamTree, options: EncodeOptions = {}): Effect.Effect<void, CheckpointError> =>
  Effect.try({ try: () => encodeSafetensors(params, options), catch: toCheckpointError }).pipe(
    Effect.flatMap((bytes) => writeFileAtomic(path, bytes))
  )
