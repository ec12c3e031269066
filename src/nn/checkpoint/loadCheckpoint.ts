/**
 * Loading checkpoints, optionally checked against the tree the model expects.
 */
import { Effect } from "effect"
import * as fs from "node:fs"
import { CheckpointMismatchError, CheckpointTreeError, type CheckpointError, type MisShapedKey } from "./errors.js"
import { decodeSafetensors, flattenTree, STATE_PREFIX, type Checkpoint, type ParamTree } from "./safetensors.js"
import { toCheckpointError } from "./saveCheckpoint.js"
import { ioError } from "./writeFileAtomic.js"

/** A leaf of an expected tree: a Tensor or a `{ shape, dtype }` struct (as `jax.evalShape` returns). */
export interface ExpectedLeaf {
  readonly shape: ReadonlyArray<number>
  readonly dtype: string
}

/** An expected tree: a ParamTree, or its `jax.evalShape` / `hk.evalShape` counterpart. */
export type ExpectedTree = { readonly [modulePath: string]: { readonly [name: string]: ExpectedLeaf } }

const typeString = (l: ExpectedLeaf): string => {
  const short = l.dtype === "float32" ? "f32" : l.dtype === "int32" ? "i32" : l.dtype === "uint32" ? "u32" : l.dtype
  return `${short}[${l.shape.join(",")}]`
}

const isObject = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === "object" && !Array.isArray(x)

const describe = (x: unknown): string => (x === null ? "null" : x === undefined ? "undefined" : Array.isArray(x) ? "an array" : typeof x === "object" ? "an object" : `a ${typeof x}`)

/**
 * The `[key, leaf]` pairs of an expected tree, checked to be one: a `CheckpointTreeError` naming
 * the option and the path when it is not (it comes from the caller's code, not the file).
 */
const expectedEntries = (tree: unknown, prefix: string, option: string): Map<string, ExpectedLeaf> => {
  const fix = "pass the tree init returned, or its jax.evalShape counterpart ({ shape, dtype } leaves)"
  if (!isObject(tree)) throw new CheckpointTreeError({ key: undefined, message: `loadCheckpoint: ${option} is ${describe(tree)}, not a two-level object { [module]: { [name]: Tensor | { shape, dtype } } }; ${fix}.` })
  const out = new Map<string, ExpectedLeaf>()
  for (const module of Object.keys(tree)) {
    const params = tree[module]
    if (!isObject(params)) throw new CheckpointTreeError({ key: module, message: `loadCheckpoint: ${option}[${JSON.stringify(module)}] is ${describe(params)}, not an object { [name]: Tensor | { shape, dtype } }; ${fix}.` })
    for (const name of Object.keys(params)) {
      const leaf = params[name] as { shape?: unknown; dtype?: unknown } | null | undefined
      if (!isObject(leaf) || !Array.isArray(leaf.shape) || typeof leaf.dtype !== "string") {
        throw new CheckpointTreeError({ key: `${module}/${name}`, message: `loadCheckpoint: ${option}[${JSON.stringify(module)}][${JSON.stringify(name)}] is ${describe(leaf)} without a shape array and a dtype string; every leaf is a Tensor or { shape, dtype }; ${fix}.` })
      }
      out.set(`${prefix}${module}/${name}`, leaf as ExpectedLeaf)
    }
  }
  return out
}

/**
 * Compare a loaded tree with an expected one; fail with `CheckpointMismatchError` naming the
 * missing, extra and mis-shaped keys.
 *
 * @example
 * import { checkTreeMatches, decodeSafetensors, type hk } from "tanka/node"
 * declare const params: hk.ParamTree, bytes: Uint8Array
 * const loaded = decodeSafetensors(bytes)
 * checkTreeMatches(loaded.params, params) // throws CheckpointMismatchError when they differ
 */
export const checkTreeMatches = (actual: ParamTree, expected: ExpectedTree, options: { readonly path?: string; readonly prefix?: string; readonly option?: string } = {}): void => {
  const prefix = options.prefix ?? ""
  const got = new Map(flattenTree(actual, prefix, "checkpoint"))
  const want = expectedEntries(expected, prefix, options.option ?? "like")
  const missing = [...want.keys()].filter((k) => !got.has(k)).sort()
  const extra = [...got.keys()].filter((k) => !want.has(k)).sort()
  const misShaped: MisShapedKey[] = []
  for (const [key, leaf] of want) {
    const t = got.get(key)
    if (t === undefined) continue
    const [e, a] = [typeString(leaf), typeString(t)]
    if (e !== a) misShaped.push({ key, expected: e, actual: a })
  }
  if (missing.length + extra.length + misShaped.length === 0) return
  const list = (xs: ReadonlyArray<string>) => xs.map((x) => JSON.stringify(x)).join(", ")
  const parts = [
    missing.length ? `missing ${missing.length} key(s): ${list(missing)}` : "",
    extra.length ? `extra ${extra.length} key(s): ${list(extra)}` : "",
    misShaped.length ? `mis-shaped: ${misShaped.map((m) => `${JSON.stringify(m.key)} is ${m.actual} in the file, ${m.expected} expected`).join("; ")}` : ""
  ].filter(Boolean)
  const where = options.path === undefined ? "the checkpoint" : `checkpoint ${JSON.stringify(options.path)}`
  throw new CheckpointMismatchError({
    path: options.path,
    missing,
    extra,
    misShaped,
    message: `${where} does not match the model: ${parts.join("; ")}. Load the checkpoint saved for this model, or build the model with the configuration the checkpoint was saved with.`
  })
}

/** Options of `loadCheckpointWithState`. */
export interface LoadOptions {
  /** Expected params (tensors or `{ shape, dtype }`); any difference is a `CheckpointMismatchError`. */
  readonly like?: ExpectedTree
  /** Expected state, checked the same way. */
  readonly likeState?: ExpectedTree
}

const readBytes = (path: string): Effect.Effect<Uint8Array, CheckpointError> =>
  Effect.tryPromise({
    try: () => fs.promises.readFile(path),
    catch: (cause) => ioError(path, "read", cause)
  }).pipe(Effect.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)))

/**
 * Load params, state and metadata from a `.safetensors` file, validating the header and,
 * with `like` / `likeState`, that the trees match what the model expects.
 *
 * @example
 * import { Effect } from "effect"
 * import { loadCheckpointWithState, type hk } from "tanka/node"
 * declare const initParams: hk.ParamTree, initState: hk.StateTree
 * const { params, state } = yield* loadCheckpointWithState("bn.safetensors", { like: initParams, likeState: initState })
 */
export const loadCheckpointWithState = (path: string, options: LoadOptions = {}): Effect.Effect<Checkpoint, CheckpointError> =>
  readBytes(path).pipe(
    Effect.flatMap((bytes) =>
      Effect.try({
        try: () => {
          const ckpt = decodeSafetensors(bytes, { path })
          if (options.like !== undefined) checkTreeMatches(ckpt.params, options.like, { path })
          if (options.likeState !== undefined) checkTreeMatches(ckpt.state, options.likeState, { path, prefix: STATE_PREFIX, option: "likeState" })
          return ckpt
        },
        catch: toCheckpointError
      })
    )
  )

/**
 * Load the params of a `.safetensors` checkpoint (state entries, if any, are ignored). With
 * `like`, a file whose keys, shapes or dtypes differ fails with `CheckpointMismatchError`.
 *
 * @example
 * import { Effect } from "effect"
 * import { loadCheckpoint, saveCheckpoint } from "tanka/node"
 * yield* saveCheckpoint("mlp.safetensors", params)
 * const restored = yield* loadCheckpoint("mlp.safetensors", { like: params })
 */
export const loadCheckpoint = (path: string, options: { readonly like?: ExpectedTree } = {}): Effect.Effect<ParamTree, CheckpointError> =>
  loadCheckpointWithState(path, options.like === undefined ? {} : { like: options.like }).pipe(Effect.map((c) => c.params))
