/** Helpers shared by the Haiku and module tests. */
import { Effect } from "effect"
import type { Tensor } from "../../src/index.js"
import { assertAllclose } from "./assertAllclose.js"

/** Run an Effect that needs nothing, synchronously. */
export const run = <A>(e: Effect.Effect<A, any, never>): A => Effect.runSync(e)

/** The error `f` throws (fails the test if it throws nothing). */
export const thrown = (f: () => unknown): any => {
  try {
    f()
  } catch (e) {
    return e
  }
  throw new Error("expected an error")
}

/** Elementwise closeness of two tensors. */
export const close = (a: Tensor, b: Tensor, atol = 1e-5) => assertAllclose(a.toTypedArray(), b.toTypedArray(), { atol, rtol: 1e-5 })
