/**
 * Helpers shared by the kernel source generators. Generated kernels take a 1-D output `[n]`,
 * recover multi-dimensional coordinates from `this.thread.x` with `Math.floor` division, and
 * bake every shape number in as a literal (GLSL needs literal loop bounds). Indices stay below
 * 2^24, where float32 division and products are exact.
 */

/**
 * A zero no shader compiler can fold (the thread index times 0): special values are divided by it
 * at run time, since WGSL rejects a constant 0.0 / 0.0 or 1.0 / 0.0 (a fused kernel's operands
 * can be literals) and gpu.js writes `Infinity` as float32's largest finite value in shaders.
 */
export const RUNTIME_ZERO = "(this.thread.x * 0.0)"

/**
 * True unless `x` is NaN, by ordered comparisons (false for NaN on every backend): `x == x` and
 * `x != x` are not reliable NaN tests in shaders (WebGPU on SwiftShader folded them).
 */
export const notNaN = (x: string): string => `(${x} <= 0.0 || ${x} > 0.0)`

/** True when `x` is NaN (see `notNaN`). */
export const isNaNExpr = (x: string): string => `!${notNaN(x)}`

/** A numeric literal for kernel source: integers as written, other values with a decimal point or exponent. */
export const lit = (v: number): string => {
  if (Number.isNaN(v)) return `(${RUNTIME_ZERO} / ${RUNTIME_ZERO})`
  if (v === Infinity) return `(1.0 / ${RUNTIME_ZERO})`
  if (v === -Infinity) return `(-1.0 / ${RUNTIME_ZERO})`
  if (Number.isInteger(v)) return Object.is(v, -0) ? "-0.0" : String(v)
  const s = String(v)
  return s.includes(".") || s.includes("e") ? s : `${s}.0`
}

/** A float literal (always with a decimal point) for float-typed initialisers. */
export const flit = (v: number): string => {
  const s = lit(v)
  return /^-?\d+$/.test(s) ? `${s}.0` : s
}

/** Result of `unravel`: declaration lines and one coordinate expression per dimension. */
export interface Unravelled {
  readonly lines: string[]
  readonly coords: string[]
}

/**
 * Lines that split the flat index `flat` of a row-major `shape` into coordinates named
 * `${prefix}${d}`; size-1 dimensions get the literal `0`.
 */
export const unravel = (shape: ReadonlyArray<number>, flat: string, prefix: string): Unravelled => {
  const lines: string[] = []
  const coords = shape.map(() => "0")
  let rest = flat
  let first = 0
  while (first < shape.length && shape[first] === 1) first++
  for (let d = shape.length - 1; d > first; d--) {
    const n = shape[d]!
    if (n === 1) continue
    lines.push(`const ${prefix}q${d} = Math.floor(${rest} / ${n});`)
    lines.push(`const ${prefix}${d} = ${rest} - ${prefix}q${d} * ${n};`)
    coords[d] = `${prefix}${d}`
    rest = `${prefix}q${d}`
  }
  if (first < shape.length) coords[first] = rest
  return { lines, coords }
}

/** The expression `base + Σ coords[d] * strides[d]`, skipping zero terms; `"0"` when empty. */
export const linear = (coords: ReadonlyArray<string>, strides: ReadonlyArray<number>, base = 0): string => {
  const terms: string[] = []
  if (base !== 0) terms.push(lit(base))
  coords.forEach((c, d) => {
    const s = strides[d]!
    if (s === 0 || c === "0") return
    terms.push(s === 1 ? c : `${c} * ${s}`)
  })
  return terms.length === 0 ? "0" : terms.join(" + ")
}

/**
 * Merges adjacent dimensions that every strided view walks contiguously, and drops size-1
 * dimensions: fewer divisions per element. Returns the merged shape and per-view strides.
 */
export const coalesce = (
  shape: ReadonlyArray<number>,
  views: ReadonlyArray<ReadonlyArray<number>>
): { shape: number[]; views: number[][] } => {
  const outShape: number[] = []
  const outViews: number[][] = views.map(() => [])
  for (let d = 0; d < shape.length; d++) {
    const n = shape[d]!
    if (n === 1) continue
    const last = outShape.length - 1
    const mergeable =
      last >= 0 && views.every((v, j) => outViews[j]![last] === v[d]! * n)
    if (mergeable) {
      outShape[last] = outShape[last]! * n
      views.forEach((v, j) => {
        outViews[j]![last] = v[d]!
      })
    } else {
      outShape.push(n)
      views.forEach((v, j) => outViews[j]!.push(v[d]!))
    }
  }
  return { shape: outShape, views: outViews }
}

/** Wraps kernel body lines into the source of a gpu.js kernel with `arrays` array and `scalars` scalar parameters. */
export const kernelSource = (arrays: number, scalars: number, body: ReadonlyArray<string>): string => {
  const params = [...Array.from({ length: arrays }, (_, j) => `a${j}`), ...Array.from({ length: scalars }, (_, j) => `s${j}`)]
  return `function(${params.join(", ")}) {\n  const i = this.thread.x;\n  ${body.join("\n  ")}\n}`
}

/** Stable cache-key fragment for a list of numbers. */
export const keyOf = (xs: ReadonlyArray<number | string>): string => xs.join(",")
