/** Small helpers for transform tests: deterministic data, float64 views and comparisons. */
import { expect } from "vitest"
import { jnp, type Tensor } from "../../src/index.js"

/** A deterministic pseudo-random float32 tensor (LCG), values in [-scale, scale). */
export const randn = (seed: number, shape: ReadonlyArray<number>, scale = 1): Tensor => {
  let s = (seed * 2654435761) >>> 0
  const n = shape.reduce((a, b) => a * b, 1)
  const data = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    data[i] = ((s / 4294967296) * 2 - 1) * scale
  }
  return jnp.array(data, { shape })
}

/** The tensor's values as float64. */
export const f64 = (t: Tensor): Float64Array => Float64Array.from(t.toTypedArray() as ArrayLike<number>)

/** Assert two tensors (or a tensor and numbers) agree elementwise within `atol + rtol * |expected|`. */
export const expectClose = (actual: Tensor, expected: Tensor | ArrayLike<number>, tol: { atol?: number; rtol?: number } = {}): void => {
  const atol = tol.atol ?? 1e-5
  const rtol = tol.rtol ?? 1e-5
  const a = f64(actual)
  const e = expected instanceof Float64Array || Array.isArray(expected) || ArrayBuffer.isView(expected) ? Float64Array.from(expected as ArrayLike<number>) : f64(expected as Tensor)
  if (!(expected instanceof Float64Array || Array.isArray(expected) || ArrayBuffer.isView(expected))) {
    expect(actual.shape).toEqual((expected as Tensor).shape)
  }
  expect(a.length).toBe(e.length)
  for (let i = 0; i < a.length; i++) {
    const ok = Math.abs(a[i]! - e[i]!) <= atol + rtol * Math.abs(e[i]!) || (Number.isNaN(a[i]!) && Number.isNaN(e[i]!))
    if (!ok) expect.fail(`element ${i}: got ${a[i]}, expected ${e[i]} (atol ${atol}, rtol ${rtol}); shape [${actual.shape.join(",")}]`)
  }
}

/** Sum of elementwise products of two same-shaped tensors, in float64. */
export const vdot = (a: Tensor, b: Tensor): number => {
  const x = f64(a)
  const y = f64(b)
  let s = 0
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!
  return s
}
