/** Turning pytrees of arguments into flat tensor lists and back. */
import { Effect } from "effect"
import { ConcreteTensor, Tensor } from "../core/Tensor.js"
import * as tree from "../core/tree.js"
import * as lax from "../core/lax.js"
import { TransformArgumentError } from "../core/errors.js"

/** A JS number becomes a float32 scalar (int32 if integral and `intOk`), a boolean a bool scalar. */
export const asTensor = (x: unknown, transform: string): Tensor => {
  if (x instanceof Tensor) return x
  if (typeof x === "number") return lax.scalar(x, "float32")
  if (typeof x === "boolean") return lax.scalar(x ? 1 : 0, "bool")
  if (Effect.isEffect(x)) {
    throw new TransformArgumentError({
      transform,
      message:
        `${transform}: a leaf of the function's output (or of the arguments) is an Effect, which ${transform} never runs; return one Effect at the top level (yield* it in Effect.gen, or combine with Effect.all). ` +
        `If it uses Haiku state (params/state/rng/modules), use the hk.* version of ${transform} instead.`
    })
  }
  if (x !== null && typeof x === "object" && typeof (x as PromiseLike<unknown>).then === "function") {
    throw new TransformArgumentError({
      transform,
      message: `${transform}: the function returned a Promise (is it async?), but ${transform} traces it synchronously; make it synchronous (effectful code returns an Effect with R = never).`
    })
  }
  throw new TransformArgumentError({
    transform,
    message: `${transform}: every leaf of the arguments must be a Tensor or a number, got ${describe(x)}. Wrap data with jnp.array(...).`
  })
}

export const describe = (x: unknown): string =>
  x === null ? "null" : typeof x === "object" ? (x.constructor?.name ?? "object") : typeof x === "function" ? "a function" : `${typeof x} ${String(x)}`

export const flattenTensors = (value: unknown, transform: string): [Tensor[], tree.TreeDef] => {
  const [leaves, def] = tree.flatten(value)
  return [leaves.map((l) => asTensor(l, transform)), def]
}

export const isConcrete = (x: Tensor): x is ConcreteTensor => x instanceof ConcreteTensor
