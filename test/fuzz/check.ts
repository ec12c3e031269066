/** What a fuzz run accepts: typed tanka errors, and outputs within the reference's error bound. */
import * as tanka from "../../src/index.js"
import type { Tensor } from "../../src/index.js"
import type { RV } from "./program.js"

/** tanka's exported error classes: the only acceptable exceptions. */
const ERROR_CLASSES = (Object.values(tanka) as unknown[]).filter((v): v is new (...a: any[]) => Error => typeof v === "function" && /Error$/.test(v.name))
/** A tanka error: an instance of one of the tagged error classes `src/index.ts` exports. */
export const isTypedTankaError = (e: unknown): e is Error & { _tag: string } =>
  e instanceof Error && typeof (e as { _tag?: unknown })._tag === "string" && ERROR_CLASSES.some((C) => e instanceof C)

/** Compare tanka's outputs with the reference: shapes exactly, values within twice the error bound. */
export const compare = (got: ReadonlyArray<Tensor>, want: ReadonlyArray<RV>, what: string): void => {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} outputs, expected ${want.length}`)
  got.forEach((g, o) => {
    const w = want[o]!
    if (g.shape.join(",") !== w.shape.join(",")) throw new Error(`${what}: output ${o} has shape [${g.shape}], expected [${w.shape}]`)
    if (g.dtype !== "float32") throw new Error(`${what}: output ${o} is ${g.dtype}, expected float32`)
    const data = g.toTypedArray()
    const bad: string[] = []
    for (let k = 0; k < w.v.length; k++) {
      const a = data[k]!
      const tol = 2 * w.e[k]! + 1e-9
      if (!(Math.abs(a - w.v[k]!) <= tol)) bad.push(`[${k}] got ${a}, expected ${w.v[k]} (|diff| ${Math.abs(a - w.v[k]!).toExponential(2)}, allowed ${tol.toExponential(2)})`)
    }
    if (bad.length) throw new Error(`${what}: output ${o} [${w.shape}]: ${bad.length} of ${w.v.length} elements differ:\n  ${bad.slice(0, 6).join("\n  ")}`)
  })
}

