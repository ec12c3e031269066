import { describe, expect, it } from "vitest"
import { jnp, type Tensor } from "../../../src/index.js"
import { KernelLimitError } from "../../../src/index.js"
import {
  CheckpointCorruptError,
  CheckpointLimitError,
  HEADER_LIMITS,
  CheckpointTreeError,
  CheckpointTruncatedError,
  decodeSafetensors,
  encodeSafetensors,
  type ParamTree
} from "../../../src/nn/checkpoint/index.js"

/** Raw bit patterns of a tensor's storage (NaN payloads and -0 included). */
const bits = (t: Tensor): number[] => {
  const d = t.toTypedArray()
  return d instanceof Float32Array ? Array.from(new Uint32Array(d.buffer, d.byteOffset, d.length)) : Array.from(d)
}
const f32FromBits = (xs: number[]) => new Float32Array(new Uint32Array(xs).buffer)

/** A safetensors file from a header (object or raw string) and a data buffer. */
const rawFile = (header: unknown, data: Uint8Array = new Uint8Array(0), lengthOverride?: bigint): Uint8Array => {
  const h = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header))
  const out = new Uint8Array(8 + h.length + data.length)
  new DataView(out.buffer).setBigUint64(0, lengthOverride ?? BigInt(h.length), true)
  out.set(h, 8)
  out.set(data, 8 + h.length)
  return out
}

const special: ParamTree = {
  "mlp/~/linear_0": {
    w: jnp.array(f32FromBits([0x7fc00000, 0x7fc00001, 0xffc00000, 0x80000000, 0x00000000, 0x7f800000, 0xff800000, 0x00000001, 0x7f7fffff, 0x3f800000]), { shape: [2, 5] }),
    b: jnp.array([-0, 1.5, Number.NaN])
  },
  "mlp/~/linear_1": { w: jnp.zeros([0, 3]), b: jnp.array(7.25) },
  "~": {
    ints: jnp.array(new Int32Array([-2147483648, 2147483647, 0, -1]), { shape: [2, 2] }),
    uints: jnp.array(new Uint32Array([0xffffffff, 0, 0x80000000]), { shape: [3] }),
    flags: jnp.array([[true, false], [false, true]]),
    empty_flags: jnp.array(new Uint8Array(0), { shape: [0], dtype: "bool" })
  }
}
const state: ParamTree = { "batch_norm/~/mean_ema": { average: jnp.array([0.5, -0.25]), counter: jnp.array(new Int32Array([3]), { shape: [] }) } }

const expectSameTree = (actual: ParamTree, expected: ParamTree) => {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort())
  for (const m of Object.keys(expected)) {
    expect(Object.keys(actual[m]!).sort()).toEqual(Object.keys(expected[m]!).sort())
    for (const n of Object.keys(expected[m]!)) {
      const [a, e] = [actual[m]![n]!, expected[m]![n]!]
      expect([a.dtype, a.shape]).toEqual([e.dtype, e.shape])
      expect(bits(a)).toEqual(bits(e))
    }
  }
}

describe("safetensors round trip", () => {
  it("decode(encode(tree)) is bit-exact: NaN payloads, -0, ±inf, denormals, int32/uint32 extremes, bool, scalars, empty", () => {
    const { params, state: s, metadata } = decodeSafetensors(encodeSafetensors(special))
    expectSameTree(params, special)
    expect(s).toEqual({})
    expect(metadata).toEqual({})
  })
  it("state goes under state: keys and comes back as the state tree; metadata round-trips", () => {
    const bytes = encodeSafetensors(special, { state, metadata: { epoch: "3", "": "empty key" } })
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))))
    expect(Object.keys(header)).toContain("state:batch_norm/~/mean_ema/average")
    expect(Object.keys(header)).toContain("mlp/~/linear_0/w")
    const out = decodeSafetensors(bytes)
    expectSameTree(out.params, special)
    expectSameTree(out.state, state)
    expect(out.metadata).toEqual({ epoch: "3", "": "empty key" })
  })
  it("encoding is deterministic: encode(decode(bytes)) reproduces the bytes", () => {
    const bytes = encodeSafetensors(special, { state, metadata: { a: "b" } })
    const again = decodeSafetensors(bytes)
    expect(encodeSafetensors(again.params, { state: again.state, metadata: again.metadata })).toEqual(bytes)
  })
  it("writes the safetensors layout: u64 LE header length, space-padded JSON, contiguous little-endian data", () => {
    const bytes = encodeSafetensors({ "lin": { b: jnp.array(new Int32Array([1, -2]), { shape: [2] }), w: jnp.array([1.5]) } })
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true))
    expect(n % 8).toBe(0)
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)))
    expect(header).toEqual({
      "lin/b": { dtype: "I32", shape: [2], data_offsets: [0, 8] },
      "lin/w": { dtype: "F32", shape: [1], data_offsets: [8, 12] }
    })
    expect(Array.from(bytes.subarray(8 + n))).toEqual([1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0, 0, 0xc0, 0x3f])
  })
  it("reads a file written by another tool (unsorted keys, metadata first, no padding)", () => {
    const data = new Uint8Array([...new Uint8Array(new Float32Array([2, 3]).buffer), 1, 0])
    const file = rawFile({ __metadata__: { format: "pt" }, "net/~/flag": { dtype: "BOOL", shape: [2], data_offsets: [8, 10] }, "net/~/w": { dtype: "F32", shape: [1, 2], data_offsets: [0, 8] } }, data)
    const { params, metadata } = decodeSafetensors(file)
    expect(params["net/~"]!.w!.toArray()).toEqual([[2, 3]])
    expect(params["net/~"]!.flag!.toArray()).toEqual([true, false])
    expect(metadata).toEqual({ format: "pt" })
  })
  it("splits keys on the last '/': module paths keep theirs", () => {
    const { params } = decodeSafetensors(encodeSafetensors({ "a/~/b/~/c": { w: jnp.ones([1]) } }))
    expect(Object.keys(params)).toEqual(["a/~/b/~/c"])
    expect(Object.keys(params["a/~/b/~/c"]!)).toEqual(["w"])
  })
})

describe("prototype safety", () => {
  it("__proto__ and constructor keys are plain data and never touch a prototype", () => {
    const tree = Object.create(null) as Record<string, Record<string, Tensor>>
    const inner = Object.create(null) as Record<string, Tensor>
    Object.defineProperty(inner, "__proto__", { value: jnp.array([1]), enumerable: true })
    Object.defineProperty(inner, "constructor", { value: jnp.array([2]), enumerable: true })
    Object.defineProperty(tree, "__proto__", { value: inner, enumerable: true })
    Object.defineProperty(tree, "constructor", { value: { prototype: jnp.array([3]) }, enumerable: true })
    const { params } = decodeSafetensors(encodeSafetensors(tree))
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype)
    expect(Object.keys(params).sort()).toEqual(["__proto__", "constructor"])
    const p = Object.getOwnPropertyDescriptor(params, "__proto__")!.value as Record<string, Tensor>
    expect(Object.keys(p).sort()).toEqual(["__proto__", "constructor"])
    expect(Object.getOwnPropertyDescriptor(p, "__proto__")!.value.toArray()).toEqual([1])
    expect((params as any).constructor.prototype.toArray()).toEqual([3])
    expect(({} as any).prototype).toBeUndefined()
  })
  it("a hostile file with __proto__/polluted does not pollute Object.prototype", () => {
    const file = rawFile('{"__proto__/polluted":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"__metadata__":{"__proto__":"x"}}', new Uint8Array(4))
    const { params, metadata } = decodeSafetensors(file)
    expect(({} as any).polluted).toBeUndefined()
    expect(Object.getPrototypeOf(params)).toBe(Object.prototype)
    expect(Object.keys(params)).toEqual(["__proto__"])
    expect(Object.getOwnPropertyDescriptor(metadata, "__proto__")!.value).toBe("x")
    expect(Object.getPrototypeOf(metadata)).toBe(Object.prototype)
  })
})

describe("encoding rejects trees that are not two-level tensor trees", () => {
  it.each([
    ["a tensor at the top", { w: jnp.ones([1]) }, /must be an object \{ \[name\]: Tensor \}/],
    ["a number leaf", { m: { w: 1 } }, /"m\/w" is number, not a Tensor/],
    ["a '/' in a parameter name", { m: { "a/b": jnp.ones([1]) } }, /contains "\/"/],
    ["a module named state:", { "state:x": { w: jnp.ones([1]) } }, /reserve for state/],
    ["an array", [jnp.ones([1])], /two-level object/]
  ])("%s is a CheckpointTreeError", (_, tree, message) => {
    expect(() => encodeSafetensors(tree as never)).toThrow(CheckpointTreeError)
    expect(() => encodeSafetensors(tree as never)).toThrow(message)
  })
})

describe("every kind of corrupt file gives its typed error", () => {
  const w = (offsets: [number, number], shape = [2], dtype = "F32") => ({ dtype, shape, data_offsets: offsets })
  const data8 = new Uint8Array(8)
  const corrupt: Array<[string, Uint8Array, RegExp]> = [
    ["a header length above the 100 MB limit", rawFile({ "a/w": w([0, 8]) }, data8, 1n << 62n), /above the 100000000-byte limit/],
    ["a header length too small for JSON", rawFile("{}", data8, 1n), /too short for a JSON object/],
    ["a header that is not UTF-8", rawFile('{"ab"}').map((b, i) => (i === 10 ? 0xff : b)), /not valid UTF-8/],
    ["a header that is not JSON", rawFile("{not json}"), /not valid JSON/],
    ["a header that is a JSON array", rawFile("[1,2]"), /must be a JSON object, got an array/],
    ["an unknown dtype", rawFile({ "a/w": w([0, 8], [2], "F33") }, data8), /Expected "F32" \| "I32" \| "U32" \| "BOOL".*\["a\/w"\]\["dtype"\]/],
    ["a safetensors dtype tanka has no type for", rawFile({ "a/w": w([0, 8], [1], "F64") }, data8), /"a\/w" has dtype F64, which safetensors allows but tanka does not read.*Convert the tensor/],
    ["a negative dimension", rawFile({ "a/w": w([0, 8], [-2]) }, data8), /greater than or equal to 0.*\["shape"\]/],
    ["a fractional dimension", rawFile({ "a/w": w([0, 8], [2.5]) }, data8), /integer.*\["shape"\]/],
    ["a missing data_offsets", rawFile({ "a/w": { dtype: "F32", shape: [2] } }, data8), /Missing key.*data_offsets/],
    ["offsets with begin after end", rawFile({ "a/w": w([8, 0]) }, data8), /begin 8 is after end 0/],
    ["a size that disagrees with shape × dtype (I32[3] in 8 bytes)", rawFile({ "a/w": w([0, 8], [3], "I32") }, data8), /8 bytes for I32\[3\], which needs 12/],
    ["a BOOL tensor sized as 4-byte elements", rawFile({ "a/w": w([0, 8], [2], "BOOL") }, data8), /8 bytes for BOOL\[2\], which needs 2/],
    ["overlapping offsets", rawFile({ "a/w": w([0, 8]), "a/v": w([4, 12]) }, new Uint8Array(12)), /overlaps tensor "a\/w"/],
    ["a gap between tensors", rawFile({ "a/w": w([0, 8]), "a/v": w([12, 20]) }, new Uint8Array(20)), /4 unused bytes between tensor "a\/w" and tensor "a\/v"/],
    ["offsets out of range that do not start at 0", rawFile({ "a/w": w([1000, 1008]) }, data8), /starts with 1000 unused bytes/],
    ["offsets beyond 2^53", rawFile(`{"a/w":{"dtype":"F32","shape":[2],"data_offsets":[0,9007199254740993]}}`, data8), /integer|after end/],
    ["bytes after the last tensor", rawFile({ "a/w": w([0, 8]) }, new Uint8Array(12)), /4 bytes follow the last tensor/],
    ["a metadata value that is not a string", rawFile({ __metadata__: { step: 3 }, "a/w": w([0, 8]) }, data8), /Expected string.*__metadata__.*step/],
    ["a metadata field that is not an object", rawFile({ __metadata__: "x", "a/w": w([0, 8]) }, data8), /"__metadata__" must be an object/],
    ["a key without a module path", rawFile({ weight: w([0, 8]) }, data8), /key "weight" has no "\/"/],
    // JSON.parse keeps the last of duplicate keys: the scan before it names them (issue 12: was "unused bytes")
    ["a tensor key twice, with different offsets", rawFile('{"a/w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a/w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data8), /tensor "a\/w" appears twice in the header/],
    ["a tensor key twice, once spelled with an escape", rawFile('{"a/w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"a\\/w":{"dtype":"F32","shape":[0],"data_offsets":[8,8]}}', data8), /tensor "a\/w" appears twice/],
    ["a metadata key twice", rawFile('{"__metadata__":{"step":"1","step":"2"},"a/w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', data8), /key "step" of __metadata__ appears twice/],
    ["a field of a tensor entry twice", rawFile('{"a/w":{"dtype":"I32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}', data8), /key "dtype" of tensor "a\/w" appears twice/]
  ]
  it.each(corrupt)("%s: CheckpointCorruptError", (_, file, message) => {
    let error: unknown
    try {
      decodeSafetensors(file, { path: "bad.safetensors" })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(CheckpointCorruptError)
    const e = error as CheckpointCorruptError
    expect(e._tag).toBe("CheckpointCorruptError")
    expect(e.path).toBe("bad.safetensors")
    expect(e.message).toMatch(message)
    expect(e.message).toMatch(/restore it from a backup or save the checkpoint again|Convert the tensor/)
  })

  const good = encodeSafetensors(special)
  const headerEnd = 8 + Number(new DataView(good.buffer).getBigUint64(0, true))
  const truncatedCases: Array<[string, Uint8Array, string]> = [
    ["an empty file", new Uint8Array(0), "8-byte header length"],
    ["a file cut inside the length prefix", good.subarray(0, 5), "8-byte header length"],
    ["a file cut inside the JSON header", good.subarray(0, headerEnd - 10), "JSON header"],
    ["a file cut inside the tensor data", good.subarray(0, good.length - 3), "tensor data"],
    ["a file with only its header", good.subarray(0, headerEnd), "tensor data"]
  ]
  it.each(truncatedCases)("%s: CheckpointTruncatedError", (_, file, part) => {
    let error: unknown
    try {
      decodeSafetensors(file)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(CheckpointTruncatedError)
    const e = error as CheckpointTruncatedError
    expect(e.actualBytes).toBe(file.length)
    expect(e.expectedBytes).toBeGreaterThan(file.length)
    expect(e.message).toContain(`truncated in the ${part}`)
    expect(e.message).toMatch(/copy it again or save the checkpoint again/)
  })
})

describe("a header's cost is bounded before it is parsed (HEADER_LIMITS)", () => {
  const entries = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `"m/w${from + i}":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}`)
  const limitError = (file: Uint8Array): CheckpointLimitError => {
    try {
      decodeSafetensors(file, { path: "big.safetensors" })
    } catch (e) {
      return e as CheckpointLimitError
    }
    throw new Error("expected a CheckpointLimitError")
  }

  it("1.5 million zero-size tensor entries fail in well under a second with a CheckpointLimitError naming the limit", () => {
    const file = rawFile(`{${entries(1_500_000).join(",")}}`)
    const t0 = performance.now()
    const e = limitError(file)
    expect(performance.now() - t0).toBeLessThan(1000)
    expect(e).toBeInstanceOf(CheckpointLimitError)
    expect([e.limit, e.max, e.path]).toEqual(["tensors", HEADER_LIMITS.tensors, "big.safetensors"])
    expect(e.message).toMatch(/more than 100000 tensor entries, above tanka's limit of 100000 \(HEADER_LIMITS\.tensors\).*several checkpoints/)
  })

  it("exactly HEADER_LIMITS.tensors entries still load", () => {
    const { params } = decodeSafetensors(rawFile(`{${entries(HEADER_LIMITS.tensors).join(",")}}`))
    expect(Object.keys(params["m"]!).length).toBe(HEADER_LIMITS.tensors)
  })

  it("4 million metadata keys fail fast with limit \"metadata\"", () => {
    const keys = Array.from({ length: 4_000_000 }, (_, i) => `"k${i}":"v"`)
    const file = rawFile(`{"__metadata__":{${keys.join(",")}}}`)
    const t0 = performance.now()
    const e = limitError(file)
    expect(performance.now() - t0).toBeLessThan(1000)
    expect([e._tag, e.limit]).toEqual(["CheckpointLimitError", "metadata"])
  })

  it("nesting deeper than HEADER_LIMITS.depth is limit \"depth\", also inside a field tanka ignores", () => {
    const deep = `${"[".repeat(HEADER_LIMITS.depth)}${"]".repeat(HEADER_LIMITS.depth)}`
    const e = limitError(rawFile(`{"m/w":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"extra":${deep}}}`))
    expect([e.limit, e.value, e.max]).toEqual(["depth", HEADER_LIMITS.depth + 1, HEADER_LIMITS.depth])
    // depth 3 is the format's own; an ignored field two levels deeper is still fine
    expect(() => decodeSafetensors(rawFile(`{"m/w":{"dtype":"F32","shape":[0],"data_offsets":[0,0],"extra":[[1]]}}`))).not.toThrow()
  })

  it("a header whose parsed size would pass HEADER_LIMITS.memory (5 million dimensions in one shape) is limit \"memory\"", () => {
    const e = limitError(rawFile(`{"m/w":{"dtype":"F32","shape":[${new Array(5_000_000).fill(1).join(",")}],"data_offsets":[0,4]}}`, new Uint8Array(4)))
    expect([e.limit, e.max]).toEqual(["memory", HEADER_LIMITS.memory])
    expect(e.value).toBeGreaterThan(HEADER_LIMITS.memory)
  })

  it("a dimension above the kernel limit loads, and any op on it is a KernelLimitError even at size 0", () => {
    const { params } = decodeSafetensors(rawFile({ "m/w": { dtype: "F32", shape: [0, 2 ** 52], data_offsets: [0, 0] } }))
    const x = params["m"]!["w"]!
    expect(x.shape).toEqual([0, 2 ** 52])
    for (const f of [() => jnp.sum(x, { axis: 0 }), () => jnp.sum(x, { axis: 1 }), () => jnp.exp(x), () => jnp.transpose(x), () => jnp.zeros([0, 2 ** 25])]) {
      const e = (() => {
        try {
          f()
        } catch (err) {
          return err
        }
        return undefined
      })()
      expect(e).toBeInstanceOf(KernelLimitError)
      expect((e as KernelLimitError).message).toMatch(/has a dimension of \d+, above the limit of 16777216.*Fix: keep every dimension/)
    }
  })
})
