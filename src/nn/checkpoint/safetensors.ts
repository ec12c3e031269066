/**
 * Pure, byte-level safetensors encoding of Haiku parameter and state trees.
 *
 * Keys: a two-level tree `{ [modulePath]: { [name]: Tensor } }` is stored as flat keys
 * `modulePath/name` (`mlp/~/linear_0/w`); reading splits on the LAST `/`, since module paths
 * contain `/` and parameter names do not. State trees (`hk.transformWithState`) go in the same
 * file under the prefix `state:` (`state:batch_norm/~/mean_ema/average`), so a tool reading
 * the file sees params under their plain names.
 */
import * as jnp from "../../jnp.js"
import { Tensor } from "../../transforms/core/Tensor.js"
import type { DType, Storage } from "../../kernels/dtype.js"
import { CheckpointTreeError, corrupt } from "./errors.js"
import { DTYPE_CODES, codeOf, parseSafetensors, type TensorInfo } from "./header.js"

/** A Haiku parameter tree: `{ [modulePath]: { [name]: Tensor } }`. Haiku: `hk.Params`. */
export type ParamTree = { readonly [modulePath: string]: { readonly [name: string]: Tensor } }

/** A Haiku state tree, same shape as a `ParamTree`. Haiku: `hk.State`. */
export type StateTree = ParamTree

/** What a checkpoint holds: params, state (empty when none was saved) and string metadata. */
export interface Checkpoint {
  readonly params: ParamTree
  readonly state: StateTree
  readonly metadata: { readonly [key: string]: string }
}

/** Options of `encodeSafetensors` / `saveCheckpoint`. */
export interface EncodeOptions {
  /** A state tree to store beside the params, under keys `state:module/name`. */
  readonly state?: StateTree
  /** String metadata, stored as the header's `__metadata__`. */
  readonly metadata?: { readonly [key: string]: string }
}

/** Key prefix of state tensors in a checkpoint. */
export const STATE_PREFIX = "state:"

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** Define `obj[key] = value` as data, so keys such as `__proto__` never reach a prototype. */
const define = (obj: object, key: string, value: unknown): void => {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true })
}

/** A fresh object safe for any key (created without a prototype; given Object's once filled). */
const safeObject = <T extends object>(entries: Iterable<readonly [string, unknown]>): T => {
  const out = Object.create(null) as T
  for (const [k, v] of entries) define(out, k, v)
  return Object.setPrototypeOf(out, Object.prototype) as T
}

const isPlainObject = (x: unknown): x is Record<string, unknown> => {
  if (x === null || typeof x !== "object") return false
  const proto = Object.getPrototypeOf(x)
  return proto === Object.prototype || proto === null
}

/** Flatten a two-level tree into `[key, tensor]` pairs, checking its shape. */
export const flattenTree = (tree: unknown, prefix: string, what: string): Array<[string, Tensor]> => {
  if (!isPlainObject(tree)) {
    throw new CheckpointTreeError({ key: undefined, message: `${what} must be a two-level object { [modulePath]: { [name]: Tensor } }, got ${describe(tree)}; pass the tree from transform(...).init.` })
  }
  const out: Array<[string, Tensor]> = []
  for (const module of Object.keys(tree)) {
    const params = tree[module]
    if (!isPlainObject(params)) {
      throw new CheckpointTreeError({ key: module, message: `${what}[${JSON.stringify(module)}] must be an object { [name]: Tensor }, got ${describe(params)}; a ParamTree has exactly two levels.` })
    }
    if (prefix === "" && module.startsWith(STATE_PREFIX)) {
      throw new CheckpointTreeError({ key: module, message: `${what}: module path ${JSON.stringify(module)} starts with "${STATE_PREFIX}", which checkpoints reserve for state; rename the module.` })
    }
    for (const name of Object.keys(params)) {
      const key = `${prefix}${module}/${name}`
      const value = params[name]
      if (name.includes("/")) {
        throw new CheckpointTreeError({ key, message: `${what}: parameter name ${JSON.stringify(name)} in module ${JSON.stringify(module)} contains "/", so its key ${JSON.stringify(key)} cannot be split back; parameter names must not contain "/".` })
      }
      if (!(value instanceof Tensor)) {
        throw new CheckpointTreeError({ key, message: `${what}: ${JSON.stringify(key)} is ${describe(value)}, not a Tensor; every leaf of a ParamTree is a Tensor.` })
      }
      out.push([key, value])
    }
  }
  return out
}

const describe = (x: unknown): string =>
  x === null ? "null" : Array.isArray(x) ? "an array" : typeof x === "object" ? `a ${x.constructor?.name ?? "object"}` : typeof x

/** The storage bytes of a tensor, little-endian. */
const toBytes = (key: string, t: Tensor): Uint8Array => {
  let data: Storage
  try {
    data = t.toTypedArray()
  } catch (cause) {
    throw new CheckpointTreeError({ key, message: `${JSON.stringify(key)} has no concrete value (${(cause as Error).message}); save checkpoints outside jax.jit/grad, from concrete params.` })
  }
  if (LITTLE_ENDIAN || data.BYTES_PER_ELEMENT === 1) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
  const out = new Uint8Array(data.byteLength)
  const view = new DataView(out.buffer)
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i]!, true)
    else if (data instanceof Int32Array) view.setInt32(i * 4, data[i]!, true)
    else view.setUint32(i * 4, data[i]!, true)
  }
  return out
}

/** A tensor from its little-endian bytes. */
const fromBytes = (bytes: Uint8Array, info: TensorInfo): Tensor => {
  const { dtype, bytes: width } = DTYPE_CODES[info.dtype]
  const n = bytes.length / width
  const copy = bytes.slice() // a fresh, aligned buffer
  let data: Storage
  if (dtype === "bool") data = copy
  else if (LITTLE_ENDIAN) data = dtype === "float32" ? new Float32Array(copy.buffer, 0, n) : dtype === "int32" ? new Int32Array(copy.buffer, 0, n) : new Uint32Array(copy.buffer, 0, n)
  else {
    const view = new DataView(copy.buffer)
    data = dtype === "float32" ? new Float32Array(n) : dtype === "int32" ? new Int32Array(n) : new Uint32Array(n)
    for (let i = 0; i < n; i++) data[i] = dtype === "float32" ? view.getFloat32(i * 4, true) : dtype === "int32" ? view.getInt32(i * 4, true) : view.getUint32(i * 4, true)
  }
  return jnp.array(data, { shape: info.shape, dtype: dtype as DType })
}

/**
 * Encode params (and optionally state and metadata) as safetensors bytes. Keys are
 * `module/name` (state: `state:module/name`), sorted; tensors are laid out in key order; the
 * header is padded with spaces to a multiple of 8 bytes so the data is aligned.
 *
 * Throws `CheckpointTreeError` when the tree is not a two-level tree of concrete tensors.
 *
 * @example
 * import { encodeSafetensors, decodeSafetensors } from "tanka"
 * const bytes = encodeSafetensors(params, { metadata: { step: "1000" } })
 * const { params: restored } = decodeSafetensors(bytes)
 */
export const encodeSafetensors = (params: ParamTree, options: EncodeOptions = {}): Uint8Array => {
  const entries = flattenTree(params, "", "params")
  if (options.state !== undefined) entries.push(...flattenTree(options.state, STATE_PREFIX, "state"))
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const parts: string[] = []
  if (options.metadata !== undefined) {
    const meta = Object.keys(options.metadata).map((k) => {
      const v = options.metadata![k]
      if (typeof v !== "string") throw new CheckpointTreeError({ key: k, message: `metadata[${JSON.stringify(k)}] is ${describe(v)}; safetensors metadata values must be strings (use String(value)).` })
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`
    })
    parts.push(`"__metadata__":{${meta.join(",")}}`)
  }
  const chunks: Uint8Array[] = []
  let offset = 0
  for (const [key, t] of entries) {
    const data = toBytes(key, t)
    chunks.push(data)
    parts.push(`${JSON.stringify(key)}:${JSON.stringify({ dtype: codeOf(t.dtype), shape: [...t.shape], data_offsets: [offset, offset + data.length] })}`)
    offset += data.length
  }
  let header = new TextEncoder().encode(`{${parts.join(",")}}`)
  const padded = Math.ceil(header.length / 8) * 8
  if (padded !== header.length) {
    const p = new Uint8Array(padded).fill(0x20)
    p.set(header)
    header = p
  }
  const out = new Uint8Array(8 + header.length + offset)
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true)
  out.set(header, 8)
  let at = 8 + header.length
  for (const c of chunks) {
    out.set(c, at)
    at += c.length
  }
  return out
}

/**
 * Decode safetensors bytes into `{ params, state, metadata }`, validating the header with the
 * `SafetensorsHeader` schema. Keys split on their last `/`; keys prefixed `state:` go to
 * `state`. Result objects are built with `Object.defineProperty`, so a key such as
 * `__proto__` or `constructor` is plain data.
 *
 * Throws `CheckpointTruncatedError` or `CheckpointCorruptError` (also for a key without `/`).
 *
 * @example
 * import * as fs from "node:fs"
 * import { decodeSafetensors } from "tanka"
 * const { params, state, metadata } = decodeSafetensors(new Uint8Array(fs.readFileSync("model.safetensors")))
 */
export const decodeSafetensors = (bytes: Uint8Array, options: { readonly path?: string } = {}): Checkpoint => {
  const { header, dataStart } = parseSafetensors(bytes, options.path)
  const groups = { params: new Map<string, Array<[string, Tensor]>>(), state: new Map<string, Array<[string, Tensor]>>() }
  for (const [key, info] of header.tensors) {
    const isState = key.startsWith(STATE_PREFIX)
    const bare = isState ? key.slice(STATE_PREFIX.length) : key
    const cut = bare.lastIndexOf("/")
    if (cut < 0) {
      throw corrupt(options.path, `key ${JSON.stringify(key)} has no "/"; tanka checkpoints name tensors "modulePath/name" (top-level params under "~/name"), so it cannot be placed in a ParamTree`)
    }
    const [begin, end] = info.data_offsets
    const group = isState ? groups.state : groups.params
    const module = bare.slice(0, cut)
    let list = group.get(module)
    if (list === undefined) group.set(module, (list = []))
    list.push([bare.slice(cut + 1), fromBytes(bytes.subarray(dataStart + begin, dataStart + end), info)])
  }
  const build = (g: Map<string, Array<[string, Tensor]>>): ParamTree =>
    safeObject([...g].map(([module, list]) => [module, safeObject(list)] as const))
  return { params: build(groups.params), state: build(groups.state), metadata: safeObject(header.metadata) }
}
