/**
 * `hk.Embed`: a `[vocabSize, embedDim]` table; calling it looks ids up, `attend` scores vectors
 * against every row (the tied output layer of a language model).
 */
import { Effect } from "effect"
import { Tensor } from "../../transforms/core/Tensor.js"
import { dtypeError, shapeError } from "../../transforms/core/errors.js"
import * as jnp from "../../transforms/numpy/ops.js"
import { oneHot } from "../../transforms/numpy/nn.js"
import { getParameter, type Initializer } from "../../effects/getParameter.js"
import { TruncatedNormal } from "../initializers.js"
import { attach, module, type Module } from "../../effects/module.js"
import type { Naming, Params, Rng } from "../../effects/services.js"
import { ModuleConfigError } from "./errors.js"
import { checkInput, describeInput, guardParams, showShape } from "./inputs.js"

/** How ids become rows: a gather (`"ARRAY_INDEX"`, the default) or `oneHot(ids) @ table` (`"ONE_HOT"`). Haiku: `hk.EmbedLookupStyle`. */
export type EmbedLookupStyle = "ARRAY_INDEX" | "ONE_HOT"

/** Options of {@link Embed}: `vocabSize` and `embedDim`, or an `embeddingMatrix` to start from. */
export interface EmbedOptions {
  /** The number of ids (rows). */
  readonly vocabSize?: number
  /** The size of each embedding (columns). */
  readonly embedDim?: number
  /** An initial table `[vocabSize, embedDim]` (then the sizes may be omitted; given, they must agree). */
  readonly embeddingMatrix?: Tensor
  /** Initializer of the table (default `TruncatedNormal(1)`, as Haiku). */
  readonly wInit?: Initializer<Rng>
  /** Default lookup style (default `"ARRAY_INDEX"`). */
  readonly lookupStyle?: EmbedLookupStyle
  /** Module name (default `"embed"`). */
  readonly name?: string
}

/** A constructed `hk.Embed`: `embed(ids)` gives `[...ids.shape, embedDim]`; `embed.attend(x)` gives `[..., vocabSize]`. */
export type Embed = Module<
  (ids: Tensor, options?: { readonly lookupStyle?: EmbedLookupStyle }) => Effect.Effect<Tensor, never, Params | Rng>,
  {
    readonly vocabSize: number
    readonly embedDim: number
    /** The table itself (the parameter `embeddings`). Haiku: `Embed.embeddings`. */
    readonly embeddings: Effect.Effect<Tensor, never, Params | Rng>
    /** `x @ embeddingsᵀ` over the last axis of `x` (`[..., embedDim]` → `[..., vocabSize]`): logits tied to the input embedding. */
    readonly attend: (x: Tensor) => Effect.Effect<Tensor, never, Params | Rng>
  }
>

const API = "hk.Embed"

const positive = (v: unknown) => typeof v === "number" && Number.isInteger(v) && v > 0

/**
 * An embedding table `embeddings: [vocabSize, embedDim]` (float32). Ids must be int32 in
 * `[0, vocabSize)`.
 *
 * Haiku: `hk.Embed` (`attend` is the tied-output projection Haiku users write by hand).
 *
 * @example
 * const f = (ids: Tensor) => Effect.flatMap(hk.Embed({ vocabSize: 6, embedDim: 12 }), (e) => e(ids))
 * hk.transform(f).init(0, jnp.array([1, 2], { dtype: "int32" })) // { embed: { embeddings: f32[6,12] } }
 */
export const Embed = (options: EmbedOptions): Effect.Effect<Embed, never, Naming> =>
  module(
    options?.name ?? "embed",
    (self) => {
      const m = options?.embeddingMatrix
      if (m === undefined && !(positive(options?.vocabSize) && positive(options?.embedDim))) {
        throw ModuleConfigError.make(API, "vocabSize", "hk.Embed must be supplied either with an initial `embeddingMatrix` or with positive integer `embedDim` and `vocabSize`.")
      }
      if (m !== undefined) {
        if (!(m instanceof Tensor) || m.ndim !== 2) throw ModuleConfigError.make(API, "embeddingMatrix", `embeddingMatrix must be a [vocabSize, embedDim] Tensor, got ${describeInput(m)}.`)
        if (options.vocabSize !== undefined && m.shape[0] !== options.vocabSize) {
          throw ModuleConfigError.make(API, "vocabSize", `An \`embeddingMatrix\` was supplied but the \`vocabSize\` of ${options.vocabSize} was not consistent with its shape ${showShape(m.shape)}.`)
        }
        if (options.embedDim !== undefined && m.shape[1] !== options.embedDim) {
          throw ModuleConfigError.make(API, "embedDim", `An \`embeddingMatrix\` was supplied but the \`embedDim\` of ${options.embedDim} was not consistent with its shape ${showShape(m.shape)}.`)
        }
      }
      const style0 = options.lookupStyle ?? "ARRAY_INDEX"
      const checkStyle = (s: unknown): EmbedLookupStyle => {
        if (s !== "ARRAY_INDEX" && s !== "ONE_HOT") throw ModuleConfigError.make(API, "lookupStyle", `${String(s)} is not supported by hk.Embed: use "ARRAY_INDEX" or "ONE_HOT".`)
        return s
      }
      checkStyle(style0)
      const vocabSize = m !== undefined ? m.shape[0]! : options.vocabSize!
      const embedDim = m !== undefined ? m.shape[1]! : options.embedDim!
      const wInit: Initializer<Rng> = m !== undefined ? () => m : (options.wInit ?? TruncatedNormal(1))
      const embeddings = getParameter("embeddings", [vocabSize, embedDim], wInit, { dtype: m?.dtype ?? "float32" })
      const lookup = Effect.fnUntraced(function* (ids: Tensor, style: EmbedLookupStyle) {
        const table = yield* embeddings
        if (style === "ARRAY_INDEX") return jnp.take(table, ids, 0)
        return jnp.matmul(oneHot(ids, vocabSize), table)
      })
      const call = (ids: Tensor, callOptions: { readonly lookupStyle?: EmbedLookupStyle } = {}) =>
        Effect.suspend(() => {
          if (!(ids instanceof Tensor)) throw dtypeError(API, `module '${self.moduleName}' must be called with an int32 Tensor of ids, got ${describeInput(ids)}; e.g. jnp.array([1, 2], { dtype: "int32" }).`)
          if (ids.dtype !== "int32") throw dtypeError(API, `hk.Embed's call must take an array of integer dtype but module '${self.moduleName}' was called with ${ids.aval}; cast with jnp.astype(ids, "int32").`)
          return guardParams(API, self.moduleName, ids, self.call(lookup(ids, checkStyle(callOptions.lookupStyle ?? style0))))
        })
      const attend = self.defineMethod("attend", (x: Tensor) =>
        Effect.suspend(() => {
          const t = checkInput(API, self.moduleName, x, `a [..., ${embedDim}] input to attend`)
          if (t.shape[t.ndim - 1] !== embedDim) {
            return Effect.die(shapeError(API, `module '${self.moduleName}'.attend got ${t.aval}, whose last axis must be embedDim ${embedDim}: pass vectors of the embedding's size.`))
          }
          return Effect.map(embeddings, (table) => jnp.matmul(t, jnp.transpose(table)))
        })
      )
      return attach(call, { moduleName: self.moduleName, name: self.name, vocabSize, embedDim, embeddings: self.call(embeddings), attend })
    },
    { kind: "Embed", config: { vocabSize: options?.vocabSize ?? options?.embeddingMatrix?.shape[0], embedDim: options?.embedDim ?? options?.embeddingMatrix?.shape[1] } }
  )
