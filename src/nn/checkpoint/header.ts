/**
 * The safetensors header: its `effect/Schema` schema and the parser that splits a file into
 * a validated header and the data buffer.
 *
 * Layout: an 8-byte little-endian u64 `N`, then `N` bytes of UTF-8 JSON
 * `{ "<key>": { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { string: string } }`,
 * then the data buffer; offsets are relative to the start of the buffer.
 */
import { Result, Schema } from "effect"
import type { DType } from "../../kernels/dtype.js"
import { corrupt, truncated } from "./errors.js"
import { scanHeader } from "./headerScan.js"

/** Safetensors dtype codes tanka reads and writes, with their tanka dtype and byte size. */
export const DTYPE_CODES = {
  F32: { dtype: "float32", bytes: 4 },
  I32: { dtype: "int32", bytes: 4 },
  U32: { dtype: "uint32", bytes: 4 },
  BOOL: { dtype: "bool", bytes: 1 }
} as const satisfies Record<string, { dtype: DType; bytes: number }>

/** A safetensors dtype code: `F32`, `I32`, `U32` or `BOOL`. */
export type DTypeCode = keyof typeof DTYPE_CODES

/** The safetensors code of a tanka dtype. */
export const codeOf = (dtype: DType): DTypeCode =>
  dtype === "float32" ? "F32" : dtype === "int32" ? "I32" : dtype === "uint32" ? "U32" : "BOOL"

/** Dtypes of the safetensors format that tanka has no tensor type for. */
const OTHER_SAFETENSORS_DTYPES = new Set(["F64", "F16", "BF16", "I64", "I16", "I8", "U64", "U16", "U8", "F8_E4M3", "F8_E5M2", "F4", "F6_E2M3", "F6_E3M2", "F8_E8M0", "E8M0", "C64"])

/** Largest header accepted, as in the reference implementation (100 MB). */
export const MAX_HEADER_BYTES = 100_000_000

/** A non-negative safe integer. */
const Natural = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))

const elementCount = (shape: ReadonlyArray<number>): number => shape.reduce((a, b) => a * b, 1)

/**
 * One tensor entry: `dtype` in the supported set, `shape` of non-negative integers,
 * `data_offsets` a `[begin, end]` pair with `end − begin = Π shape × sizeof(dtype)`.
 *
 * @example
 * import { Schema } from "effect"
 * import { TensorInfo } from "tanka/internal/nn/checkpoint/header.js"
 * Schema.decodeUnknownSync(TensorInfo)({ dtype: "F32", shape: [2], data_offsets: [0, 8] })
 */
export const TensorInfo = Schema.Struct({
  dtype: Schema.Literals(["F32", "I32", "U32", "BOOL"]),
  shape: Schema.Array(Natural),
  data_offsets: Schema.Tuple([Natural, Natural])
}).check(
  Schema.makeFilter((info) => {
    const [begin, end] = info.data_offsets
    if (begin > end) return { path: ["data_offsets"], issue: `begin ${begin} is after end ${end}` }
    const size = elementCount(info.shape) * DTYPE_CODES[info.dtype].bytes
    if (!Number.isSafeInteger(size)) return { path: ["shape"], issue: `shape [${info.shape.join(",")}] is too large` }
    if (end - begin !== size) {
      return { path: ["data_offsets"], issue: `${end - begin} bytes for ${info.dtype}[${info.shape.join(",")}], which needs ${size}` }
    }
    return undefined
  })
)

/** A validated tensor entry. */
export type TensorInfo = typeof TensorInfo.Type

/**
 * The whole header, as entries (so keys such as `__proto__` stay data): every tensor entry
 * valid, metadata string-to-string, and the tensors tiling the buffer from 0 with neither
 * overlaps nor gaps.
 *
 * @example
 * import { Schema } from "effect"
 * import { SafetensorsHeader } from "tanka/internal/nn/checkpoint/header.js"
 * Schema.decodeUnknownSync(SafetensorsHeader)({
 *   tensors: [["lin/w", { dtype: "F32", shape: [2], data_offsets: [0, 8] }]],
 *   metadata: [["format", "pt"]]
 * })
 */
export const SafetensorsHeader = Schema.Struct({
  tensors: Schema.Array(Schema.Tuple([Schema.String, TensorInfo])),
  metadata: Schema.Array(Schema.Tuple([Schema.String, Schema.String]))
}).check(
  Schema.makeFilter((header) => {
    const order = header.tensors.map(([key, info]) => ({ key, begin: info.data_offsets[0], end: info.data_offsets[1] }))
    order.sort((a, b) => a.begin - b.begin || a.end - b.end)
    let prevKey: string | undefined
    let prevEnd = 0
    for (const t of order) {
      if (t.begin < prevEnd) return `tensor ${JSON.stringify(t.key)} [${t.begin}, ${t.end}) overlaps tensor ${JSON.stringify(prevKey)}, which ends at ${prevEnd}`
      if (t.begin > prevEnd) {
        return prevKey === undefined
          ? `the data buffer starts with ${t.begin} unused bytes before tensor ${JSON.stringify(t.key)}`
          : `${t.begin - prevEnd} unused bytes between tensor ${JSON.stringify(prevKey)} and tensor ${JSON.stringify(t.key)} (offsets out of place)`
      }
      if (prevKey === undefined || t.end > prevEnd) [prevKey, prevEnd] = [t.key, t.end]
    }
    return undefined
  })
)

/** A validated header. */
export type SafetensorsHeader = typeof SafetensorsHeader.Type

/** A parsed file: the validated header and where its data buffer lies. */
export interface ParsedSafetensors {
  readonly header: SafetensorsHeader
  /** Byte offset of the data buffer in the file (8 + N). */
  readonly dataStart: number
}

const decodeHeader = Schema.decodeUnknownResult(SafetensorsHeader)

/** Replace `["tensors"][i][1]` / `["metadata"][i][1]` in schema paths by the key, so messages name it. */
const nameKeys = (message: string, tensors: ReadonlyArray<readonly [string, unknown]>, metadata: ReadonlyArray<readonly [string, unknown]>): string =>
  message
    .replace(/\["tensors"\]\[(\d+)\]\[1\]/g, (_, i: string) => `[${JSON.stringify(tensors[Number(i)]?.[0])}]`)
    .replace(/\["metadata"\]\[(\d+)\]\[1\]/g, (_, i: string) => `["__metadata__"][${JSON.stringify(metadata[Number(i)]?.[0])}]`)
    .replace(/\n\s*/g, " ")

/**
 * Split safetensors bytes into a header validated by `SafetensorsHeader` and the data buffer.
 * Throws `CheckpointTruncatedError` when the file ends early and `CheckpointCorruptError` for
 * anything else that is wrong.
 */
export const parseSafetensors = (bytes: Uint8Array, path?: string): ParsedSafetensors => {
  if (bytes.length < 8) throw truncated(path, "8-byte header length", 8, bytes.length)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const n64 = view.getBigUint64(0, true)
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw corrupt(path, `the header length prefix says ${n64} bytes, above the ${MAX_HEADER_BYTES}-byte limit (the first 8 bytes are not a safetensors length)`)
  }
  const n = Number(n64)
  if (n < 2) throw corrupt(path, `the header length prefix says ${n} bytes, too short for a JSON object`)
  if (8 + n > bytes.length) throw truncated(path, "JSON header", 8 + n, bytes.length)
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + n))
  } catch {
    throw corrupt(path, "the header is not valid UTF-8")
  }
  // entries, nesting, memory and duplicate keys, before JSON.parse builds anything
  scanHeader(text, path)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw corrupt(path, `the header is not valid JSON (${(e as Error).message})`)
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) {
    throw corrupt(path, `the header must be a JSON object, got ${json === null ? "null" : Array.isArray(json) ? "an array" : typeof json}`)
  }
  // JSON.parse defines "__proto__" as an own data property; Object.entries reads it as data.
  const tensors: Array<readonly [string, unknown]> = []
  let metadata: unknown = {}
  for (const [key, value] of Object.entries(json)) {
    if (key === "__metadata__") metadata = value
    else tensors.push([key, value])
  }
  if (metadata === null || typeof metadata !== "object" || Array.isArray(metadata)) {
    throw corrupt(path, `"__metadata__" must be an object of strings, got ${metadata === null ? "null" : Array.isArray(metadata) ? "an array" : typeof metadata}`)
  }
  for (const [key, value] of tensors) {
    const dtype = (value as { dtype?: unknown } | null)?.dtype
    if (typeof dtype === "string" && OTHER_SAFETENSORS_DTYPES.has(dtype)) {
      throw corrupt(
        path,
        `tensor ${JSON.stringify(key)} has dtype ${dtype}, which safetensors allows but tanka does not read (it reads ${Object.keys(DTYPE_CODES).join(", ")})`,
        "Convert the tensor (e.g. to F32) with the tool that wrote the file, then load it again."
      )
    }
  }
  const metaEntries = Object.entries(metadata)
  const result = decodeHeader({ tensors, metadata: metaEntries })
  if (Result.isFailure(result)) {
    throw corrupt(path, `the header violates the safetensors schema: ${nameKeys(result.failure.message, tensors, metaEntries)}`)
  }
  const header = result.success
  const dataStart = 8 + n
  const needed = header.tensors.reduce((m, [, info]) => Math.max(m, info.data_offsets[1]), 0)
  const have = bytes.length - dataStart
  if (have < needed) throw truncated(path, "tensor data", dataStart + needed, bytes.length)
  if (have > needed) throw corrupt(path, `${have - needed} bytes follow the last tensor (the header accounts for ${needed} data bytes)`)
  return { header, dataStart }
}
