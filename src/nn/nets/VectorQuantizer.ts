/**
 * `hk.nets.VectorQuantizer`: the VQ-VAE bottleneck of van den Oord et al. (2017).
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { oneHot } from "../../transforms/numpy/nn.js"
import { getParameter } from "../../effects/getParameter.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { VarianceScaling } from "../initializers.js"
import { ModuleConfigError } from "../modules/errors.js"
import { describeInput } from "../modules/inputs.js"

/** Options of {@link VectorQuantizer}. */
export interface VectorQuantizerOptions {
  /** The size of each code (the input's last axis). */
  readonly embeddingDim: number
  /** The number of codes. */
  readonly numEmbeddings: number
  /** β, the weight of the commitment loss. */
  readonly commitmentCost: number
  /** Module name (default `"vector_quantizer"`). */
  readonly name?: string
}

/** What a {@link VectorQuantizer} call returns (Haiku's dict). */
export interface VectorQuantizerOutput {
  /** The input with every vector replaced by its nearest code (straight-through gradient). */
  readonly quantize: Tensor
  /** `‖sg(z) − e‖² + β‖z − sg(e)‖²` (means). */
  readonly loss: Tensor
  /** `exp(entropy)` of the codes' use in this batch. */
  readonly perplexity: Tensor
  /** One-hot codes `[N, numEmbeddings]` over the flattened inputs. */
  readonly encodings: Tensor
  /** Code indices, shaped like the input without its last axis (int32). */
  readonly encodingIndices: Tensor
  /** Squared distances `[N, numEmbeddings]`. */
  readonly distances: Tensor
}

/** A constructed `hk.nets.VectorQuantizer`: `vq(x, isTraining)`. */
export type VectorQuantizer = Module<(x: Tensor, isTraining: boolean) => Effect.Effect<VectorQuantizerOutput, never, Params | Rng>, { readonly embeddingDim: number; readonly numEmbeddings: number }>

const API = "hk.nets.VectorQuantizer"

/**
 * Quantizes each vector of the input's last axis to its nearest code in `embeddings:
 * [embeddingDim, numEmbeddings]` (initialised `VarianceScaling(1, uniform)`), as Haiku.
 *
 * Haiku: `hk.nets.VectorQuantizer`.
 *
 * @example
 * const vq = yield* hk.nets.VectorQuantizer({ embeddingDim: 64, numEmbeddings: 512, commitmentCost: 0.25 })
 * declare const z: Tensor
 * const { quantize, loss } = yield* vq(z, true)
 */
export const VectorQuantizer = (options: VectorQuantizerOptions): Effect.Effect<VectorQuantizer, never, Naming> =>
  module(
    options?.name ?? "vector_quantizer",
    (self) => {
      for (const k of ["embeddingDim", "numEmbeddings"] as const) {
        const v = options?.[k]
        if (!(typeof v === "number" && Number.isInteger(v) && v > 0)) throw ModuleConfigError.make(API, k, `${k} must be a positive integer, got ${String(v)}.`)
      }
      const { embeddingDim: d, numEmbeddings: k, commitmentCost } = options
      const embeddings = getParameter("embeddings", [d, k], VarianceScaling(1, { distribution: "uniform" }))
      const body = Effect.fnUntraced(function* (x: Tensor) {
        const e = yield* embeddings
        const flat = jnp.reshape(x, [-1, d])
        const distances = jnp.add(jnp.subtract(jnp.sum(jnp.square(flat), { axis: 1, keepdims: true }), jnp.multiply(2, jnp.matmul(flat, e))), jnp.sum(jnp.square(e), { axis: 0, keepdims: true }))
        const indices = jnp.argmax(jnp.negative(distances), { axis: 1 })
        const encodings = oneHot(indices, k)
        const encodingIndices = jnp.reshape(indices, x.shape.slice(0, -1))
        const codes = jnp.take(jnp.transpose(e), encodingIndices, 0)
        const eLatent = jnp.mean(jnp.square(jnp.subtract(lax.stopGradient(codes), x)))
        const qLatent = jnp.mean(jnp.square(jnp.subtract(codes, lax.stopGradient(x))))
        const loss = jnp.add(qLatent, jnp.multiply(commitmentCost, eLatent))
        const quantize = jnp.add(x, lax.stopGradient(jnp.subtract(codes, x)))
        const avg = jnp.mean(encodings, { axis: 0 })
        const perplexity = jnp.exp(jnp.negative(jnp.sum(jnp.multiply(avg, jnp.log(jnp.add(avg, 1e-10))))))
        return { quantize, loss, perplexity, encodings, encodingIndices, distances }
      })
      const call = (x: Tensor, _isTraining: boolean) =>
        Effect.suspend(() => {
          if (!(x instanceof Tensor) || x.ndim < 1 || x.shape[x.ndim - 1] !== d) throw shapeError(API, `module '${self.moduleName}' needs an input whose last axis is embeddingDim ${d}, got ${describeInput(x)}.`)
          return self.call(body(x))
        })
      return attach(call, { moduleName: self.moduleName, name: self.name, embeddingDim: d, numEmbeddings: k })
    },
    { kind: "VectorQuantizer", config: { ...options } }
  )
