/**
 * Atomic file writes for checkpoints: a temporary file in the target's directory, fsync, then
 * `rename` over the target. A crash or error at any point before the rename leaves the previous
 * file untouched; the temporary file is removed when the error is seen, and when a writer is
 * killed instead, the next write to the same path removes it (see `removeStaleTemporaries`).
 *
 * Node only (`node:fs`).
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { CheckpointIOError } from "./errors.js"

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

/** This machine, as temporary file names record it (`h-` and the host name's letters, digits and dashes). */
const hostTag = (): string => `h-${os.hostname().replace(/[^A-Za-z0-9-]/g, "").slice(0, 40)}`

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** Is process `pid` running on this machine? (`EPERM`: it runs, as another user.) */
const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Remove the temporary files that writers of `path` left when they were killed mid-write
 * (`.name.<pid>.<host>.<random>.tmp`, or `.name.<pid>.<random>.tmp` from earlier versions): those
 * of this machine whose process no longer runs. Never a live writer's: not this process's own, not
 * one whose pid runs (even if the pid was reused), not another machine's (on a shared file
 * system). Best effort: a file that cannot be listed or removed is left. Returns the names removed.
 *
 * @example
 * import { Effect } from "effect"
 * import { removeStaleTemporaries } from "tanka/node"
 * yield* Effect.promise(() => removeStaleTemporaries("checkpoints/model.safetensors")) // [".model.safetensors.4242.h-node1.k3j9.tmp"]
 */
export const removeStaleTemporaries = async (path: string): Promise<string[]> => {
  const dir = nodePath.dirname(path)
  const pattern = new RegExp(`^\\.${escapeRegExp(nodePath.basename(path))}\\.(\\d+)\\.(?:(h-[A-Za-z0-9-]*)\\.)?[a-z0-9]+\\.tmp$`)
  const names = await fs.promises.readdir(dir).catch(() => [] as string[])
  const host = hostTag()
  const removed: string[] = []
  for (const name of names) {
    const m = pattern.exec(name)
    if (m === null) continue
    const pid = Number(m[1])
    if ((m[2] !== undefined && m[2] !== host) || pid === process.pid || isRunning(pid)) continue
    try {
      await fs.promises.rm(nodePath.join(dir, name), { force: true })
      removed.push(name)
    } catch {
      // best effort: a stale file we cannot remove is only disk space
    }
  }
  return removed
}

/**
 * Write `bytes` to `path` atomically: a temporary file beside it, `fsync`, `rename`, then a
 * best-effort `fsync` of the directory. On failure the temporary file is removed and `path`
 * keeps its previous content; temporary files of earlier writers that were killed are removed
 * first (`removeStaleTemporaries`), so repeated crashes do not fill the disk.
 *
 * @example
 * import { Effect } from "effect"
 * import { encodeSafetensors, writeFileAtomic } from "tanka/node"
 * yield* writeFileAtomic("model.safetensors", encodeSafetensors(params))
 */
export const writeFileAtomic = (path: string, bytes: Uint8Array): Effect.Effect<void, CheckpointIOError> =>
  Effect.tryPromise({
    try: async () => {
      const dir = nodePath.dirname(path)
      await removeStaleTemporaries(path)
      const tmp = nodePath.join(dir, `.${nodePath.basename(path)}.${process.pid}.${hostTag()}.${Math.random().toString(36).slice(2)}.tmp`)
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
