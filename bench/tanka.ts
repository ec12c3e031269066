/**
 * tanka as the benchmark measures it: the compiled package in `dist/` (what `npm install`
 * users run; `npm run bench` builds it first). The types come from `src/`, which `dist/` is
 * compiled from, so the bench type-checks on a clean checkout. `TANKA_BENCH_SOURCE=1` measures
 * the TypeScript sources through tsx instead (slower dispatch: tsx's transpiled code).
 *
 * Every tanka module the bench uses is loaded from here, so that all of them share one module
 * graph (one backend, one WebAssembly runtime).
 */
import type * as Index from "../src/index.js"
import type * as Kernels from "../src/kernels/index.js"
import type * as TensorModule from "../src/transforms/core/Tensor.js"

const fromSource = process.env["TANKA_BENCH_SOURCE"] === "1"
const root = fromSource ? "../src/" : "../dist/"
const load = async <T>(path: string): Promise<T> => (await import(new URL(`${root}${path}`, import.meta.url).href)) as T

/** Where the measured tanka was loaded from. */
export const TANKA_BUILD = fromSource ? "src (tsx)" : "dist (tsc build)"

const index = await load<typeof Index>("index.js")
export const K = await load<typeof Kernels>("kernels/index.js")
const tensorModule = await load<typeof TensorModule>("transforms/core/Tensor.js")

export const { jax, jnp, hk, optax } = index
export const { ConcreteTensor } = tensorModule
export type Tensor = Index.Tensor
export type ParamTree = Index.hk.ParamTree
