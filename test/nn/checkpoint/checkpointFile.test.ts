import { afterEach, beforeEach, describe, expect, it, vi } from "vitest"
import { Effect, Exit } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { jax, jnp, type Tensor } from "../../../src/index.js"
import {
  CheckpointIOError,
  CheckpointMismatchError,
  CheckpointTruncatedError,
  loadCheckpoint,
  loadCheckpointWithState,
  saveCheckpoint,
  type CheckpointError,
  type ParamTree
} from "../../../src/nn/checkpoint/index.js"

let dir: string
beforeEach(() => {
  dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "tanka-ckpt-"))
})
afterEach(() => {
  vi.restoreAllMocks()
  fs.rmSync(dir, { recursive: true, force: true })
})

const paramsA: ParamTree = {
  "mlp/~/linear_0": { w: jnp.array([[1, 2, 3], [4, 5, 6]]), b: jnp.array([0.5, -0, Number.NaN]) },
  "mlp/~/linear_1": { w: jnp.array([[7], [8], [9]]), b: jnp.array([10]) }
}
const paramsB: ParamTree = jax.tree.map((t: Tensor) => jnp.add(t, 100), paramsA)
const stateA: ParamTree = { "batch_norm/~/var_ema": { average: jnp.array([1, 2]), counter: jnp.array(new Int32Array([5]), { shape: [] }) } }

const failure = async <A>(effect: Effect.Effect<A, CheckpointError>): Promise<CheckpointError> => {
  const exit = await Effect.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const e = exit.cause.reasons.find((r: any) => r._tag === "Fail") as any
  if (e === undefined) throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return e.error as CheckpointError
}
const sameValues = (a: ParamTree, b: ParamTree) =>
  expect(jax.tree.leaves(a).map((t) => Array.from((t as Tensor).toTypedArray()))).toEqual(jax.tree.leaves(b).map((t) => Array.from((t as Tensor).toTypedArray())))
const filesIn = (d: string) => fs.readdirSync(d).sort()

describe("saveCheckpoint / loadCheckpoint", () => {
  it("save then load gives the same tree, bit for bit", async () => {
    const path = nodePath.join(dir, "mlp.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA))
    const loaded = await Effect.runPromise(loadCheckpoint(path, { like: paramsA }))
    sameValues(loaded, paramsA)
    expect(filesIn(dir)).toEqual(["mlp.safetensors"])
  })
  it("state and metadata travel with the params", async () => {
    const path = nodePath.join(dir, "bn.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA, { state: stateA, metadata: { epoch: "2" } }))
    const c = await Effect.runPromise(loadCheckpointWithState(path, { like: paramsA, likeState: stateA }))
    sameValues(c.params, paramsA)
    sameValues(c.state, stateA)
    expect(c.metadata).toEqual({ epoch: "2" })
    // loadCheckpoint reads only the params, even when `like` has no state
    sameValues(await Effect.runPromise(loadCheckpoint(path, { like: paramsA })), paramsA)
  })
  it("a second save replaces the first", async () => {
    const path = nodePath.join(dir, "m.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA))
    await Effect.runPromise(saveCheckpoint(path, paramsB))
    sameValues(await Effect.runPromise(loadCheckpoint(path)), paramsB)
    expect(filesIn(dir)).toEqual(["m.safetensors"])
  })
  it("a missing file is a CheckpointIOError naming the read and the path", async () => {
    const path = nodePath.join(dir, "nope.safetensors")
    const e = await failure(loadCheckpoint(path))
    expect(e).toBeInstanceOf(CheckpointIOError)
    expect((e as CheckpointIOError).operation).toBe("read")
    expect(e.message).toContain(path)
    // reading: the file is missing, not the directory (issue 12: the advice said to create the directory)
    expect(e.message).toMatch(/no file exists at this path; check the path/)
    expect(e.message).not.toMatch(/create it first/)
  })
  it("a `like` that is not a tree is a CheckpointTreeError naming the option and the path (was a TypeError's text)", async () => {
    const path = nodePath.join(dir, "m.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA, { state: stateA }))
    const cases: Array<[Effect.Effect<unknown, CheckpointError>, RegExp]> = [
      [loadCheckpoint(path, { like: { a: null } as never }), /loadCheckpoint: like\["a"\] is null, not an object/],
      [loadCheckpoint(path, { like: null as never }), /loadCheckpoint: like is null, not a two-level object/],
      [loadCheckpoint(path, { like: { "mlp/~/linear_0": { w: 3 } } as never }), /like\["mlp\/~\/linear_0"\]\["w"\] is a number without a shape array/],
      [loadCheckpointWithState(path, { likeState: { "batch_norm/~/var_ema": [] } as never }), /likeState\["batch_norm\/~\/var_ema"\] is an array/]
    ]
    for (const [effect, message] of cases) {
      const e = await failure(effect)
      expect(e._tag).toBe("CheckpointTreeError")
      expect(e.message).toMatch(message)
      expect(e.message).toContain("pass the tree init returned")
    }
  })
  it("a save into a missing directory is a CheckpointIOError that says to create it", async () => {
    const e = await failure(saveCheckpoint(nodePath.join(dir, "no", "such", "m.safetensors"), paramsA))
    expect(e).toBeInstanceOf(CheckpointIOError)
    expect(e.message).toMatch(/directory does not exist; create it first/)
  })
  it("a truncated file on disk is a CheckpointTruncatedError carrying the path", async () => {
    const path = nodePath.join(dir, "t.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA))
    fs.truncateSync(path, fs.statSync(path).size - 5)
    const e = await failure(loadCheckpoint(path))
    expect(e).toBeInstanceOf(CheckpointTruncatedError)
    expect((e as CheckpointTruncatedError).path).toBe(path)
  })
})

describe("a checkpoint that does not match the model", () => {
  it("names the missing, extra and mis-shaped keys", async () => {
    const path = nodePath.join(dir, "m.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA))
    const model = {
      "mlp/~/linear_0": { w: jnp.zeros([2, 4]), b: jnp.zeros([3]) }, // w mis-shaped
      "mlp/~/linear_2": { w: jnp.zeros([3, 1]) } // missing; linear_1 is extra
    }
    const e = (await failure(loadCheckpoint(path, { like: model }))) as CheckpointMismatchError
    expect(e).toBeInstanceOf(CheckpointMismatchError)
    expect(e.missing).toEqual(["mlp/~/linear_2/w"])
    expect(e.extra).toEqual(["mlp/~/linear_1/b", "mlp/~/linear_1/w"])
    expect(e.misShaped).toEqual([{ key: "mlp/~/linear_0/w", expected: "f32[2,4]", actual: "f32[2,3]" }])
    expect(e.message).toMatch(/missing 1 key\(s\): "mlp\/~\/linear_2\/w"/)
    expect(e.message).toMatch(/"mlp\/~\/linear_0\/w" is f32\[2,3\] in the file, f32\[2,4\] expected/)
    expect(e.message).toMatch(/Load the checkpoint saved for this model/)
  })
  it("a dtype difference is a mismatch; { shape, dtype } structs (jax.evalShape) work as `like`", async () => {
    const path = nodePath.join(dir, "m.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA, { state: stateA }))
    const like = jax.evalShape((p: ParamTree) => p, paramsA) as ParamTree
    sameValues(await Effect.runPromise(loadCheckpoint(path, { like })), paramsA)
    const e = (await failure(loadCheckpointWithState(path, { likeState: { "batch_norm/~/var_ema": { average: { shape: [2], dtype: "float32" }, counter: { shape: [], dtype: "float32" } } } }))) as CheckpointMismatchError
    expect(e.misShaped).toEqual([{ key: "state:batch_norm/~/var_ema/counter", expected: "f32[]", actual: "i32[]" }])
  })
})

describe("atomic save", () => {
  it("a failure in the middle of writing leaves the previous checkpoint intact and no temp file", async () => {
    const path = nodePath.join(dir, "m.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA))
    const before = fs.readFileSync(path)
    const realOpen = fs.promises.open
    let partial = 0
    vi.spyOn(fs.promises, "open").mockImplementation(async (...args: Parameters<typeof realOpen>) => {
      const handle = await realOpen(...args)
      if (String(args[0]).endsWith(".tmp")) {
        const realWrite = handle.write.bind(handle) as (b: Uint8Array, o: number, l: number) => Promise<{ bytesWritten: number }>
        ;(handle as any).write = async (b: Uint8Array, o: number, l: number) => {
          const half = Math.floor(l / 2)
          partial = (await realWrite(b, o, half)).bytesWritten
          throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" })
        }
      }
      return handle
    })
    const e = await failure(saveCheckpoint(path, paramsB))
    expect(partial).toBeGreaterThan(0) // bytes really were written to the temporary file
    expect(e).toBeInstanceOf(CheckpointIOError)
    expect((e as CheckpointIOError).operation).toBe("write")
    expect(e.message).toMatch(/disk is full/)
    expect(fs.readFileSync(path)).toEqual(before)
    vi.restoreAllMocks()
    sameValues(await Effect.runPromise(loadCheckpoint(path, { like: paramsA })), paramsA)
    expect(filesIn(dir)).toEqual(["m.safetensors"])
  })
  it("a failing rename leaves the previous checkpoint intact and no temp file", async () => {
    const path = nodePath.join(dir, "m.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA))
    vi.spyOn(fs.promises, "rename").mockRejectedValue(Object.assign(new Error("EPERM: operation not permitted, rename"), { code: "EPERM" }))
    const e = await failure(saveCheckpoint(path, paramsB))
    expect((e as CheckpointIOError).operation).toBe("rename")
    vi.restoreAllMocks()
    sameValues(await Effect.runPromise(loadCheckpoint(path)), paramsA)
    expect(filesIn(dir)).toEqual(["m.safetensors"])
  })
  it("a process killed mid-save (temp file left behind) does not disturb the checkpoint", async () => {
    const path = nodePath.join(dir, "m.safetensors")
    await Effect.runPromise(saveCheckpoint(path, paramsA))
    // what a crash leaves: a half-written temporary file beside the checkpoint
    fs.writeFileSync(nodePath.join(dir, ".m.safetensors.999.abc.tmp"), fs.readFileSync(path).subarray(0, 20))
    sameValues(await Effect.runPromise(loadCheckpoint(path, { like: paramsA })), paramsA)
    await Effect.runPromise(saveCheckpoint(path, paramsB))
    sameValues(await Effect.runPromise(loadCheckpoint(path)), paramsB)
  })
  it("an invalid tree fails before any file is touched", async () => {
    const path = nodePath.join(dir, "m.safetensors")
    const e = await failure(saveCheckpoint(path, { m: { w: 3 } } as never))
    expect(e._tag).toBe("CheckpointTreeError")
    expect(filesIn(dir)).toEqual([])
  })
})
