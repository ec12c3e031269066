/** Turning pytrees of arguments into flat tensor lists and back. */
import { Effect } from "effect"
import { ConcreteTensor, Tensor } from "../core/Tensor.js"
import * as tree from "../core/tree.js"
import * as lax from "../core/lax.js"
import { TransformArgumentError } from "../core/errors.js"

/** Where a pytree leaf came from: the transform's arguments, or what its function returned. */
export type LeafRole = "arguments" | "output"

/** A JS number becomes a float32 scalar, a boolean a bool scalar; anything else that is not a Tensor is a TransformArgumentError naming `role`. */
export const asTensor = (x: unknown, transform: string, role: LeafRole = "arguments"): Tensor => {
  if (x instanceof Tensor) return x
  if (typeof x === "number") return lax.scalar(x, "float32")
  if (typeof x === "boolean") return lax.scalar(x ? 1 : 0, "bool")
  if (role === "output" && Effect.isEffect(x)) {
    throw new TransformArgumentError({
      transform,
      message:
        `${transform}: the function returned an Effect inside its output (a leaf of an object or array), which ${transform} never runs. ` +
        `Return the Effect itself and build the structure inside it (Effect.gen: const out = yield* net(x); return { out }), or combine several with Effect.all({ out: net(x) }). ` +
        `If it uses Haiku state (params/state/rng/modules), use the hk.* version of ${transform} inside hk.transform.`
    })
  }
  if (Effect.isEffect(x)) {
    throw new TransformArgumentError({
      transform,
      message: `${transform}: an argument is an Effect, which ${transform} cannot trace; run it first (yield* it in Effect.gen) and pass its result, a Tensor.`
    })
  }
  if (x !== null && typeof x === "object" && typeof (x as PromiseLike<unknown>).then === "function") {
    throw new TransformArgumentError({
      transform,
      message:
        role === "output"
          ? `${transform}: the function returned a Promise (is it async?), but ${transform} traces it synchronously; make it synchronous (effectful code returns an Effect with R = never).`
          : `${transform}: an argument is a Promise; await it first and pass its result, a Tensor.`
    })
  }
  throw new TransformArgumentError({
    transform,
    message:
      role === "output"
        ? `${transform}: every leaf of the function's output must be a Tensor or a number, got ${describe(x)}. Return tensors (jnp.array(...) for data).`
        : `${transform}: every leaf of the arguments must be a Tensor or a number, got ${describe(x)}. Wrap data with jnp.array(...).`
  })
}

export const describe = (x: unknown): string =>
  x === null ? "null" : typeof x === "object" ? (x.constructor?.name ?? "object") : typeof x === "function" ? "a function" : `${typeof x} ${String(x)}`

export const flattenTensors = (value: unknown, transform: string, role: LeafRole = "arguments"): [Tensor[], tree.TreeDef] => {
  const [leaves, def] = tree.flatten(value)
  return [leaves.map((l) => asTensor(l, transform, role)), def]
}

export const isConcrete = (x: Tensor): x is ConcreteTensor => x instanceof ConcreteTensor
