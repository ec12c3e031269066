/**
 * `hk.grad`, `hk.valueAndGrad`, `hk.jvp`: differentiate a Haiku-effectful function with
 * respect to its arguments (never its parameters, which are constants here). State changes and
 * rng advances made by the body are written back; parameters created during init are kept.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import * as tree from "../../transforms/core/tree.js"
import { jvp as rawJvp, vjpFlat, type GradOptions } from "../../transforms/raw/autodiff.js"
import { flattenTensors } from "../../transforms/raw/args.js"
import { TransformArgumentError } from "../../transforms/core/errors.js"
import type { ContextOf, ErrorOf, ValueOf } from "../transform.js"
import { finishRaw, innerFrame, newLayout, pureBody, snapshot, writeBack, type Threaded } from "./wrap.js"

const argErr = (transform: string, message: string) => new TransformArgumentError({ transform, message: `${transform}: ${message}` })

const valueAndGradImpl = (f: (...args: any[]) => any, options: GradOptions, name: string, jaxName: string) => (...args: any[]) =>
  Effect.withFiber((fiber) => {
    const snap = snapshot(fiber, name, jaxName)
    const argnums = options.argnums ?? 0
    const nums = typeof argnums === "number" ? [argnums] : [...argnums]
    for (const n of nums) {
      if (!Number.isInteger(n) || n < 0 || n >= args.length) throw argErr(name, `argnums ${JSON.stringify(argnums)} refers to argument ${n}, but the function was called with ${args.length} argument(s).`)
    }
    const [flat, def] = flattenTensors(nums.map((n) => args[n]), name)
    flat.forEach((x, i) => {
      if (x.dtype !== "float32") throw argErr(name, `${name} requires float32 inputs, but leaf ${i} of the differentiated arguments is ${x.aval}.`)
    })
    const layout = newLayout()
    const pure = pureBody(snap, f, (a) => [innerFrame(snap, snap.outer.rng?.clone() ?? null, name), a], layout)
    let auxDef: tree.TreeDef | null = null
    let thrDef: tree.TreeDef | null = null
    let valueDef: tree.TreeDef | null = null
    const g = (...xs: Tensor[]): Tensor[] => {
      const diff = tree.unflatten<unknown[]>(def, xs)
      const full = [...args]
      nums.forEach((n, i) => (full[n] = diff[i]))
      const [value, threaded] = pure(...full)
      let loss = value
      let aux: unknown = null
      if (options.hasAux) {
        if (!Array.isArray(value) || value.length !== 2) throw argErr(name, "with hasAux the function must return [loss, aux].")
        ;[loss, aux] = value
      }
      const [lossLeaves, ld] = flattenTensors(loss, name, "output")
      valueDef = ld
      if (lossLeaves.length !== 1 || lossLeaves[0]!.ndim !== 0 || lossLeaves[0]!.dtype !== "float32") {
        throw argErr(name, `${name} requires a float32 scalar output, got ${lossLeaves.length === 1 ? lossLeaves[0]!.aval.toString() : `a pytree of ${lossLeaves.length} leaves`}. Reduce it (jnp.sum / jnp.mean).`)
      }
      const [auxLeaves, ad] = flattenTensors(aux, name, "output")
      const [thrLeaves, td] = tree.flatten<Tensor>(threaded)
      auxDef = ad
      thrDef = td
      return [lossLeaves[0]!, ...auxLeaves, ...thrLeaves]
    }
    return Effect.map(
      finishRaw(() => {
        const [outs, back] = vjpFlat(g, flat, name)
        const cts = [lax.onesLike(outs[0]!.aval), ...outs.slice(1).map(() => null)] as unknown as Tensor[]
        return { outs, grads: tree.unflatten<unknown[]>(def, back(cts)) }
      }),
      ({ outs, grads }) => {
        const nAux = tree.numLeaves(auxDef!)
        const threaded = tree.unflatten<Threaded>(thrDef!, outs.slice(1 + nAux))
        writeBack(snap.outer, layout, threaded, { rng: true })
        const value = tree.unflatten(valueDef!, [outs[0]!])
        const aux = tree.unflatten(auxDef!, outs.slice(1, 1 + nAux))
        const gradValue = typeof argnums === "number" ? grads[0] : grads
        return options.hasAux ? [[value, aux], gradValue] : [value, gradValue]
      }
    )
  })

/**
 * `[value, grad]` of a scalar Haiku-effectful `f` (`[[value, aux], grad]` with `hasAux`).
 *
 * Haiku: `hk.value_and_grad`.
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const [loss, g] = yield* hk.valueAndGrad((x: Tensor) => Effect.map(net(x), jnp.sum))(x)
 * @typeParam F - the function's type, inferred (it may use Haiku services)
 */
export const valueAndGrad =
  <F extends (...args: any[]) => any>(f: F, options: GradOptions = {}) =>
  (...args: Parameters<F>): Effect.Effect<[any, any], ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>>> =>
    valueAndGradImpl(f, options, "hk.valueAndGrad", "jax.valueAndGrad")(...args) as any

/**
 * The gradient of a scalar Haiku-effectful `f` with respect to argument(s) `argnums`
 * (`[grad, aux]` with `hasAux`).
 *
 * Haiku: `hk.grad`.
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const g = yield* hk.grad((x: Tensor) => Effect.map(net(x), jnp.sum))(x)
 * @typeParam F - the function's type, inferred (it may use Haiku services)
 */
export const grad =
  <F extends (...args: any[]) => any>(f: F, options: GradOptions = {}) =>
  (...args: Parameters<F>): Effect.Effect<any, ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>>> =>
    Effect.map(valueAndGradImpl(f, options, "hk.grad", "jax.grad")(...args), (r: any) => (options.hasAux ? [r[1], r[0][1]] : r[1])) as any

/**
 * Forward mode over a Haiku-effectful `f`: `[outputs, output tangents]`.
 *
 * Haiku: `hk.jvp` (`jax.jvp` with Haiku state threaded).
 *
 * @example
 * declare const net: (x: Tensor) => Effect.Effect<Tensor, never, hk.Params | hk.Rng | hk.Naming>
 * const [y, dy] = yield* hk.jvp(net, [x], [jnp.onesLike(x)])
 * @typeParam F - the function's type, inferred (it may use Haiku services)
 */
export const jvp = <F extends (...args: any[]) => any>(
  f: F,
  primals: Parameters<F>,
  tangents: Parameters<F>
): Effect.Effect<[ValueOf<ReturnType<F>>, ValueOf<ReturnType<F>>], ErrorOf<ReturnType<F>>, ContextOf<ReturnType<F>>> =>
  Effect.withFiber((fiber) => {
    const snap = snapshot(fiber, "hk.jvp", "jax.jvp")
    const layout = newLayout()
    const pure = pureBody(snap, f, (a) => [innerFrame(snap, snap.outer.rng?.clone() ?? null, "hk.jvp"), a], layout)
    return Effect.map(
      finishRaw(() => rawJvp(pure, primals, tangents) as [[unknown, Threaded], [unknown, unknown]]),
      ([[out, threaded], [outT]]) => {
        writeBack(snap.outer, layout, threaded, { rng: true })
        return [out, outT] as [any, any]
      }
    )
  })
