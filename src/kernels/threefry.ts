/**
 * `threefry2x32`: the Threefry-2x32 block cipher (20 rounds, Random123 / jax._src.prng).
 * Every 32-bit word is carried as two 16-bit halves so that additions, rotations and xors
 * are exact in float32 kernels; gpu.js bitwise ops are exact on values below 2^16.
 */
import { launch } from "./backend.js"
import { kernelSource } from "./codegen.js"
import { allocStorage, sizeOf, type Storage } from "./dtype.js"
import { shapeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { checkArray, checkDtype, checkSizes, types } from "./shape.js"
import { joinPlanes } from "./transfer.js"

const ROTATIONS = [
  [13, 15, 26, 6],
  [17, 29, 16, 24]
] as const

/** A 32-bit word as the names (or literals) of its high and low 16-bit halves. */
interface Word {
  readonly h: string
  readonly l: string
}

/**
 * Generates the kernel body. Two inputs, each four 16-bit planes interleaved per element:
 * a0 = [k0h, k0l, k1h, k1l], a1 = [x0h, x0l, x1h, x1l] (two storage buffers instead of eight,
 * so WebGPU's default limit of 8 per shader stage is met); `s0` picks the output half.
 */
export const threefrySource = (): string => {
  const lines: string[] = []
  let n = 0
  const fresh = (): string => `t${n++}`
  const add = (a: Word, b: Word): Word => {
    const [s, c, l, hs, h] = [fresh(), fresh(), fresh(), fresh(), fresh()]
    lines.push(
      `const ${s} = ${a.l} + ${b.l};`,
      `const ${c} = ${s} >= 65536.0 ? 1.0 : 0.0;`,
      `const ${l} = ${s} - ${c} * 65536.0;`,
      `const ${hs} = ${a.h} + ${b.h} + ${c};`,
      `const ${h} = ${hs} >= 65536.0 ? ${hs} - 65536.0 : ${hs};`
    )
    return { h, l }
  }
  const xor = (a: Word, b: Word): Word => {
    const [h, l] = [fresh(), fresh()]
    lines.push(`const ${h} = ${a.h} ^ ${b.h};`, `const ${l} = ${a.l} ^ ${b.l};`)
    return { h, l }
  }
  const rotl = (x: Word, r: number): Word => {
    const w = r >= 16 ? { h: x.l, l: x.h } : x
    const s = r % 16
    if (s === 0) return w
    const [h, l] = [fresh(), fresh()]
    lines.push(
      `const ${h} = ((${w.h} << ${s}) & 65535) | (${w.l} >> ${16 - s});`,
      `const ${l} = ((${w.l} << ${s}) & 65535) | (${w.h} >> ${16 - s});`
    )
    return { h, l }
  }
  const konst = (v: number): Word => ({ h: `${(v >>> 16).toFixed(1)}`, l: `${(v & 0xffff).toFixed(1)}` })
  const names = ["k0h", "k0l", "k1h", "k1l", "x0h", "x0l", "x1h", "x1l"]
  names.forEach((v, j) => lines.push(`const ${v} = a${j >> 2}[i * 4 + ${j & 3}];`))
  const k0: Word = { h: "k0h", l: "k0l" }
  const k1: Word = { h: "k1h", l: "k1l" }
  const ks2 = xor(xor(k0, k1), konst(0x1bd11bda))
  const ks = [k0, k1, ks2]
  let x0 = add({ h: "x0h", l: "x0l" }, ks[0]!)
  let x1 = add({ h: "x1h", l: "x1l" }, ks[1]!)
  for (let g = 0; g < 5; g++) {
    for (const r of ROTATIONS[g % 2]!) {
      x0 = add(x0, x1)
      x1 = xor(rotl(x1, r), x0)
    }
    x0 = add(x0, ks[(g + 1) % 3]!)
    x1 = add(add(x1, ks[(g + 2) % 3]!), konst(g + 1))
  }
  lines.push(`return s0 < 0.5 ? ${x0.h} : (s0 < 1.5 ? ${x0.l} : (s0 < 2.5 ? ${x1.h} : ${x1.l}));`)
  return kernelSource(2, 1, lines)
}

/** Validates a threefry2x32 call. */
export const validateThreefry = (k0: HostArray, k1: HostArray, x0: HostArray, x1: HostArray): void => {
  const all = [k0, k1, x0, x1]
  all.forEach((x, j) => checkArray("threefry2x32", x, ["k0", "k1", "x0", "x1"][j]))
  for (const x of all) checkDtype("threefry2x32", x, ["uint32"], all, 'pass uint32 keys and counters (convert(x, "uint32"))')
  const s = k0.shape
  if (all.some((x) => x.shape.length !== s.length || x.shape.some((v, d) => v !== s[d]))) {
    throw shapeError("threefry2x32", types(...all), "keys and counters must all have one shape", "broadcast them to a common shape first (broadcastInDim)")
  }
  checkSizes("threefry2x32", k0)
}

/** Elements per launch: the interleaved inputs hold 4 per element, and float32 index maths is exact below 2^24. */
const CHUNK = 1 << 22

/** Interleave the 16-bit planes of two uint32 arrays over [start, end): [ah, al, bh, bl] per element. */
const interleave = (a: Storage, b: Storage, start: number, end: number): Float32Array => {
  const out = new Float32Array((end - start) * 4)
  for (let k = start, o = 0; k < end; k++, o += 4) {
    const u = a[k]! >>> 0
    const v = b[k]! >>> 0
    out[o] = u >>> 16
    out[o + 1] = u & 0xffff
    out[o + 2] = v >>> 16
    out[o + 3] = v & 0xffff
  }
  return out
}

/** gpu.js implementation of `threefry2x32` (inputs validated): four launches per chunk, one per output half. */
export const gpujsThreefry = (k0: HostArray, k1: HostArray, x0: HostArray, x1: HostArray): [HostArray, HostArray] => {
  const n = sizeOf(k0.shape)
  const y0 = allocStorage("uint32", n)
  const y1 = allocStorage("uint32", n)
  for (let start = 0; start < n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK)
    const arrays = [interleave(k0.data, k1.data, start, end), interleave(x0.data, x1.data, start, end)]
    const spec = { key: "threefry2x32", size: end - start, arrays: 2, scalars: 1, source: threefrySource }
    const [h0, l0, h1, l1] = [0, 1, 2, 3].map((sel) => launch(spec, arrays, [sel])) as [Float32Array, Float32Array, Float32Array, Float32Array]
    y0.set(joinPlanes("uint32", h0, l0), start)
    y1.set(joinPlanes("uint32", h1, l1), start)
  }
  return [result("uint32", k0.shape, y0), result("uint32", k0.shape, y1)]
}
