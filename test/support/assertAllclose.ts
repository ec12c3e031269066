/**
 * The one comparison helper for tensors: |actual - expected| <= atol + rtol·|expected|
 * elementwise, with NaN matching NaN and infinities matching exactly.
 */

/** Tolerances: scalar `atol`/`rtol`, or a per-element absolute tolerance array. */
export interface Tolerance {
  readonly rtol?: number
  readonly atol?: number | ArrayLike<number>
}

type Arrayish = ArrayLike<number> | { readonly data: ArrayLike<number>; readonly shape?: ReadonlyArray<number> }

const dataOf = (x: Arrayish): ArrayLike<number> => ("data" in x ? x.data : x)

/**
 * Throws with the first few mismatches when `actual` and `expected` differ beyond tolerance.
 * @example assertAllclose(out, reference, { rtol: 1e-6, atol: 1e-7 })
 */
export const assertAllclose = (actual: Arrayish, expected: Arrayish, tol: Tolerance = {}): void => {
  const a = dataOf(actual)
  const e = dataOf(expected)
  if ("shape" in actual && "shape" in expected && actual.shape && expected.shape) {
    const sa = actual.shape.join(",")
    const se = expected.shape.join(",")
    if (sa !== se) throw new Error(`assertAllclose: shape [${sa}] != expected [${se}]`)
  }
  if (a.length !== e.length) throw new Error(`assertAllclose: length ${a.length} != expected ${e.length}`)
  const rtol = tol.rtol ?? 0
  const bad: string[] = []
  let count = 0
  for (let k = 0; k < a.length; k++) {
    const x = Number(a[k])
    const y = Number(e[k])
    const atol = typeof tol.atol === "number" || tol.atol === undefined ? (tol.atol ?? 0) : Number(tol.atol[k])
    let ok: boolean
    if (Number.isNaN(y)) ok = Number.isNaN(x)
    else if (!Number.isFinite(y)) ok = x === y
    else ok = Math.abs(x - y) <= atol + rtol * Math.abs(y)
    if (!ok) {
      count++
      if (bad.length < 8) bad.push(`  [${k}] actual ${x} expected ${y} (|diff| ${Math.abs(x - y)}, allowed ${atol + rtol * Math.abs(y)})`)
    }
  }
  if (count > 0) throw new Error(`assertAllclose: ${count} of ${a.length} elements differ (rtol ${rtol}):\n${bad.join("\n")}`)
}

/** Bitwise equality of two typed arrays (NaN payloads and -0 included). */
export const assertBitsEqual = (actual: ArrayLike<number> & { buffer?: ArrayBufferLike }, expected: ArrayLike<number>): void => {
  if (actual.length !== expected.length) throw new Error(`assertBitsEqual: length ${actual.length} != ${expected.length}`)
  for (let k = 0; k < actual.length; k++) {
    const x = actual[k]!
    const y = expected[k]!
    if (!(Object.is(x, y) || (Number.isNaN(x) && Number.isNaN(y)))) throw new Error(`assertBitsEqual: [${k}] ${x} != ${y}`)
  }
}
