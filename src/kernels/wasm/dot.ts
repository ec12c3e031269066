/**
 * `dot_general` on the WebAssembly SIMD GEMM: any dimension numbers whose free and contracting
 * dims each merge into one strided dimension (every layout jnp, grad and vmap produce) run as
 * one GEMM per batch element, reading transposed operands in place; other layouts are first
 * transposed into `[batch, free, contracting]` order.
 */
import { coalesce } from "../codegen.js"
import { type DotDims, dotShape } from "../dotGeneral.js"
import { allocStorage, sizeOf, stridesOf } from "../dtype.js"
import { type HostArray, result } from "../HostArray.js"
import { GEMM, type GemmFn, gemmModule } from "./gemm.js"
import { type WasmRuntime, wasm } from "./runtime.js"
import { addressOf, resultBlock } from "./resident.js"
import { type Epilogue, NO_EPILOGUE, parallelGemm } from "./threads.js"

/** A dot_general as GEMMs: per batch element `C[M,N] = A[M,K] · B[K,N]`, element strides. */
export interface DotPlan {
  readonly M: number
  readonly N: number
  readonly K: number
  readonly rsA: number
  readonly csA: number
  readonly rsB: number
  readonly csB: number
  /** Coalesced batch dims with the element strides of A, B and C. */
  readonly batch: { shape: number[]; a: number[]; b: number[]; c: number[] }
  readonly outShape: number[]
}

const freeDims = (rank: number, used: ReadonlyArray<number>): number[] =>
  Array.from({ length: rank }, (_, d) => d).filter((d) => !used.includes(d))

/** One stride for a coalesced group of dims (any value when the group has size ≤ 1). */
const single = (g: { shape: number[]; views: number[][] }, view: number): number | null =>
  g.shape.length === 0 ? 0 : g.shape.length === 1 ? g.views[view]![0]! : null

/**
 * The GEMM form of a dot_general over operands of these shapes and element strides, or null
 * when a free or contracting group does not merge into one strided dim.
 */
export const dotPlan = (
  aShape: ReadonlyArray<number>,
  bShape: ReadonlyArray<number>,
  dims: DotDims,
  aStrides: ReadonlyArray<number> = stridesOf(aShape),
  bStrides: ReadonlyArray<number> = stridesOf(bShape)
): DotPlan | null => {
  const aFree = freeDims(aShape.length, [...dims.lhsBatch, ...dims.lhsContracting])
  const bFree = freeDims(bShape.length, [...dims.rhsBatch, ...dims.rhsContracting])
  const outShape = [...dims.lhsBatch.map((d) => aShape[d]!), ...aFree.map((d) => aShape[d]!), ...bFree.map((d) => bShape[d]!)]
  const m = coalesce(aFree.map((d) => aShape[d]!), [aFree.map((d) => aStrides[d]!)])
  const n = coalesce(bFree.map((d) => bShape[d]!), [bFree.map((d) => bStrides[d]!)])
  const k = coalesce(dims.lhsContracting.map((d) => aShape[d]!), [dims.lhsContracting.map((d) => aStrides[d]!), dims.rhsContracting.map((d) => bStrides[d]!)])
  const rsA = single(m, 0)
  const csA = single(k, 0)
  const csB = single(n, 0)
  const rsB = single(k, 1)
  if (rsA === null || csA === null || csB === null || rsB === null) return null
  const M = sizeOf(aFree.map((d) => aShape[d]!))
  const N = sizeOf(bFree.map((d) => bShape[d]!))
  const K = sizeOf(dims.lhsContracting.map((d) => aShape[d]!))
  const batchShape = dims.lhsBatch.map((d) => aShape[d]!)
  const cStrides = stridesOf(outShape).slice(0, batchShape.length)
  const batch = coalesce(batchShape, [dims.lhsBatch.map((d) => aStrides[d]!), dims.rhsBatch.map((d) => bStrides[d]!), cStrides])
  return { M, N, K, rsA, csA, rsB, csB, batch: { shape: batch.shape, a: batch.views[0]!, b: batch.views[1]!, c: batch.views[2]! }, outShape }
}

/** The GEMM of the runtime's module. */
export const gemmOf = (rt: WasmRuntime): GemmFn => rt.instance("gemm", () => gemmModule(rt.limits, GEMM)).gemm as GemmFn

/**
 * Runs a planned dot_general on byte pointers `pa`, `pb` into `pc` (the output, contiguous).
 * Scratch panels come from the arena and are released before returning.
 */
export const runDotPlan = (rt: WasmRuntime, p: DotPlan, pa: number, pb: number, pc: number, e: Epilogue = NO_EPILOGUE): void => {
  const total = sizeOf(p.outShape)
  if (total === 0) return
  if (p.K === 0) {
    rt.f32(pc, total).fill(0)
    return
  }
  const gemm = gemmOf(rt)
  const nb = sizeOf(p.batch.shape)
  const idx = new Array<number>(p.batch.shape.length).fill(0)
  for (let t = 0; t < nb; t++) {
    let oa = 0
    let ob = 0
    let oc = 0
    for (let d = 0; d < idx.length; d++) {
      oa += idx[d]! * p.batch.a[d]!
      ob += idx[d]! * p.batch.b[d]!
      oc += idx[d]! * p.batch.c[d]!
    }
    parallelGemm(rt, gemm, p, pa + 4 * oa, pb + 4 * ob, pc + 4 * oc, e)
    for (let d = idx.length - 1; d >= 0; d--) {
      if (++idx[d]! < p.batch.shape[d]!) break
      idx[d] = 0
    }
  }
}

/**
 * Axis orders that make every dim group of a dot_general merge: lhs `[batch, free,
 * contracting]`, rhs `[batch, contracting, free]`, with the dimension numbers after permuting.
 */
export const canonicalOrder = (aRank: number, bRank: number, dims: DotDims): { aPerm: number[]; bPerm: number[]; dims: DotDims } => {
  const aFree = freeDims(aRank, [...dims.lhsBatch, ...dims.lhsContracting])
  const bFree = freeDims(bRank, [...dims.rhsBatch, ...dims.rhsContracting])
  const nb = dims.lhsBatch.length
  const nc = dims.lhsContracting.length
  const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i)
  return {
    aPerm: [...dims.lhsBatch, ...aFree, ...dims.lhsContracting],
    bPerm: [...dims.rhsBatch, ...dims.rhsContracting, ...bFree],
    dims: { lhsBatch: range(0, nb), rhsBatch: range(0, nb), lhsContracting: range(nb + aFree.length, nc), rhsContracting: range(nb, nc) }
  }
}

/**
 * The operands of a dot_general in `[batch, free, contracting]` order (lhs) and `[batch,
 * contracting, free]` order (rhs), with the matching dimension numbers: every group then merges.
 */
export const canonicalDot = (
  a: HostArray,
  b: HostArray,
  dims: DotDims,
  transpose: (x: HostArray, perm: ReadonlyArray<number>) => HostArray
): { a: HostArray; b: HostArray; dims: DotDims } => {
  const c = canonicalOrder(a.shape.length, b.shape.length, dims)
  return { a: transpose(a, c.aPerm), b: transpose(b, c.bPerm), dims: c.dims }
}

/** `dotGeneral` of float32 operands on the WebAssembly SIMD GEMM (inputs validated). */
export const wasmDotGeneral =
  (transpose: (x: HostArray, perm: ReadonlyArray<number>) => HostArray, launched: () => void) =>
  (a: HostArray, b: HostArray, dims: DotDims): HostArray => {
    const outShape = dotShape(a, b, dims)
    const n = sizeOf(outShape)
    if (n === 0) return result("float32", outShape, allocStorage("float32", 0))
    let plan = dotPlan(a.shape, b.shape, dims)
    if (plan === null) {
      const c = canonicalDot(a, b, dims, transpose)
      return wasmDotGeneral(transpose, launched)(c.a, c.b, c.dims)
    }
    const rt = wasm()
    const p = plan
    return rt.scoped(() => {
      const pa = addressOf(rt, a)
      const pb = addressOf(rt, b)
      const out = resultBlock(rt, "float32", n)
      runDotPlan(rt, p, pa, pb, out.ptr)
      launched()
      return out.wrap(outShape)
    })
  }
