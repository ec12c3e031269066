/** `cumsum`: cumulative sum along an axis; linear, transposes to the reversed cumsum. JAX: `lax.cumsum_p`. */
import { bind1 } from "../trace.js"
import { linearJvp } from "./families.js"
import { type CumulativeParams, make } from "./cumulative.js"
import type { PrimitiveDef } from "../primitive.js"

export const cumsum: PrimitiveDef<CumulativeParams> = make(
  "cumsum",
  (self) => linearJvp(self),
  (cts, _args, { axis, reverse }) => [cts[0] ? bind1(cumsum, [cts[0]], { axis, reverse: !reverse }) : null]
)
