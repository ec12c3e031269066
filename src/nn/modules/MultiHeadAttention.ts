/**
 * `hk.MultiHeadAttention`: queries, keys and values projected into `numHeads` heads, scaled
 * dot-product attention per head (optionally masked), heads concatenated and projected.
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import * as lax from "../../transforms/core/lax.js"
import { shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { softmax } from "../../transforms/numpy/nn.js"
import type { Initializer } from "../../effects/getParameter.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { VarianceScaling } from "../initializers.js"
import { ModuleConfigError } from "./errors.js"
import { Linear } from "./Linear.js"
import { describeInput } from "./inputs.js"

/** Options of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionOptions {
  /** Number of heads (H). */
  readonly numHeads: number
  /** Size of each head's queries and keys (K). */
  readonly keySize: number
  /** Initializer of every projection's `w`; required unless `wInitScale` is given (as Haiku). */
  readonly wInit?: Initializer<Rng>
  /** Deprecated in Haiku: `wInit = VarianceScaling(wInitScale)`. */
  readonly wInitScale?: number
  /** Add biases to the projections (default true). */
  readonly withBias?: boolean
  /** Initializer of the biases (default zeros). */
  readonly bInit?: Initializer<Rng>
  /** Size of each head's values (default `keySize`). */
  readonly valueSize?: number
  /** Size of the output (default `keySize · numHeads`). */
  readonly modelSize?: number
  /** Module name (default `"multi_head_attention"`). */
  readonly name?: string
}

/** A constructed `hk.MultiHeadAttention`: `mha(query, key, value, mask?)`. */
export type MultiHeadAttention = Module<
  (query: Tensor, key: Tensor, value: Tensor, mask?: Tensor | null) => Effect.Effect<Tensor, never, Params | Rng | Naming>,
  { readonly numHeads: number; readonly keySize: number; readonly valueSize: number; readonly modelSize: number }
>

const API = "hk.MultiHeadAttention"

/**
 * Multi-head attention over sequences. Inputs are `[..., T, D]` (queries `[..., T', D_q]`); the
 * optional boolean `mask` is `[..., H or 1, T', T]` (true = attend) and must have the logits'
 * rank. Parameters: `query`, `key`, `value` (`[D, H·K]`, `[D, H·K]`, `[D, H·V]`) and the output
 * projection `linear` (`[H·V, modelSize]`), each with a bias.
 *
 * Haiku: `hk.MultiHeadAttention`.
 *
 * @example
 * const f = (x: Tensor) => Effect.flatMap(hk.MultiHeadAttention({ numHeads: 8, keySize: 64, wInitScale: 1 }), (mha) => mha(x, x, x))
 * // params multi_head_attention/query, …/key, …/value: { w: f32[D,512], b: f32[512] }; …/linear: { w: f32[512,512], b: f32[512] }
 */
export const MultiHeadAttention = (options: MultiHeadAttentionOptions): Effect.Effect<MultiHeadAttention, never, Naming> =>
  module(
    options?.name ?? "multi_head_attention",
    (self) => {
      const positive = (what: "numHeads" | "keySize" | "valueSize" | "modelSize", v: unknown) => {
        if (!(typeof v === "number" && Number.isInteger(v) && v > 0)) throw ModuleConfigError.make(API, what, `${what} must be a positive integer, got ${String(v)}.`)
        return v
      }
      const numHeads = positive("numHeads", options?.numHeads)
      const keySize = positive("keySize", options.keySize)
      const valueSize = positive("valueSize", options.valueSize ?? keySize)
      const modelSize = positive("modelSize", options.modelSize ?? keySize * numHeads)
      if (options.wInit !== undefined && options.wInitScale !== undefined) throw ModuleConfigError.make(API, "wInitScale", "Please provide only `wInit`, not `wInitScale`.")
      if (options.wInit === undefined && options.wInitScale === undefined) {
        throw ModuleConfigError.make(API, "wInit", "Please provide a weight initializer: `wInit` (e.g. hk.initializers.VarianceScaling(1)), or the older `wInitScale`.")
      }
      const wInit = options.wInit ?? VarianceScaling(options.wInitScale!)
      const linear = (size: number, name?: string) =>
        Linear(size, { wInit, withBias: options.withBias ?? true, ...(options.bInit && { bInit: options.bInit }), ...(name && { name }) })
      // Haiku's _linear_projection is @transparent: the projections are named query/key/value under this module
      const heads = (x: Tensor, size: number, name: string) =>
        Effect.flatMap(linear(numHeads * size, name), (lin) => Effect.map(lin(x), (y) => jnp.reshape(y, [...x.shape.slice(0, -1), numHeads, size])))

      const body = Effect.fnUntraced(function* (query: Tensor, key: Tensor, value: Tensor, mask: Tensor | null) {
        const q = yield* heads(query, keySize, "query") // [..., T', H, K]
        const k = yield* heads(key, keySize, "key") // [..., T, H, K]
        const v = yield* heads(value, valueSize, "value") // [..., T, H, V]
        const lead = query.ndim - 2
        const batch = Array.from({ length: lead }, (_, i) => i)
        // logits[..., h, t, T] = Σ_d q[..., t, h, d] k[..., T, h, d]
        let logits = lax.dotGeneral(q, k, { lhsContracting: [lead + 2], rhsContracting: [lead + 2], lhsBatch: [...batch, lead + 1], rhsBatch: [...batch, lead + 1] })
        logits = jnp.divide(logits, Math.sqrt(keySize))
        if (mask !== null) {
          if (mask.ndim !== logits.ndim) {
            throw shapeError(API, `module '${self.moduleName}': Mask dimensionality ${mask.ndim} must match logits dimensionality ${logits.ndim} (mask ${mask.aval}, logits ${logits.aval}); give it the shape [..., H or 1, T', T].`)
          }
          logits = jnp.where(mask, logits, -1e30)
        }
        const weights = softmax(logits) // [..., H, T', T]
        // attn[..., h, t, d] = Σ_T w[..., h, t, T] v[..., T, h, d]
        const attn = lax.dotGeneral(weights, v, { lhsContracting: [lead + 2], rhsContracting: [lead], lhsBatch: [...batch, lead], rhsBatch: [...batch, lead + 1] })
        const perm = [...batch, lead + 1, lead, lead + 2] // [..., T', H, V]
        const flat = jnp.reshape(jnp.transpose(attn, perm), [...query.shape.slice(0, -1), numHeads * valueSize])
        const out = yield* linear(modelSize)
        return yield* out(flat)
      })
      const call = (query: Tensor, key: Tensor, value: Tensor, mask: Tensor | null = null) =>
        Effect.suspend(() => {
          const named = { query, key, value } as const
          for (const [n, t] of Object.entries(named)) {
            if (!(t instanceof Tensor) || t.ndim < 2) throw shapeError(API, `module '${self.moduleName}': ${n} must be a [..., T, D] Tensor of rank >= 2, got ${describeInput(t)}.`)
          }
          if (key.shape.slice(0, -1).join(",") !== value.shape.slice(0, -1).join(",")) {
            throw shapeError(API, `module '${self.moduleName}': key ${key.aval} and value ${value.aval} must share their leading axes [..., T] (one value per key).`)
          }
          if (query.ndim !== key.ndim || query.shape.slice(0, -2).join(",") !== key.shape.slice(0, -2).join(",")) {
            throw shapeError(API, `module '${self.moduleName}': query ${query.aval} and key ${key.aval} must share their batch axes (all but the last two).`)
          }
          if (mask !== null && !(mask instanceof Tensor)) throw shapeError(API, `module '${self.moduleName}': mask must be a boolean Tensor or null, got ${describeInput(mask)}.`)
          return self.call(body(query, key, value, mask))
        })
      return attach(call, { moduleName: self.moduleName, name: self.name, numHeads, keySize, valueSize, modelSize })
    },
    { kind: "MultiHeadAttention", config: { ...options } }
  )
