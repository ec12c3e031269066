/**
 * Op registry: each kernel op maps to a list of implementations; the first whose `supports`
 * accepts the (already validated) call runs it. Adding an implementation (e.g. a WASM SIMD
 * matmul ahead of the gpu.js one) is one line in `TABLE`.
 */
import { type ConvParams, gpujsConv } from "./conv.js"
import { gpujsFull, gpujsIota } from "./creation.js"
import { type DotDims, gpujsDotGeneral } from "./dotGeneral.js"
import type { DType } from "./dtype.js"
import { type BinaryOp, type UnaryOp, gpujsBinary, gpujsConvert, gpujsSelect, gpujsUnary } from "./elementwise.js"
import { gpujsGather, gpujsScatterAdd } from "./gather.js"
import type { HostArray } from "./HostArray.js"
import { gpujsBroadcastInDim, gpujsConcatenate, gpujsPad, gpujsSlice, gpujsTranspose } from "./movement.js"
import { type ReduceOp, gpujsReduce } from "./reduce.js"
import { gpujsThreefry } from "./threefry.js"
import { type WindowParams, gpujsReduceWindow, gpujsSelectAndGatherAdd, gpujsSelectAndScatterAdd } from "./windows.js"
import { currentMode, recordWasmLaunch } from "./backend.js"
import { wasmDotGeneral } from "./wasm/dot.js"
import { wasmConv } from "./wasm/conv.js"
import { wasmBinary, wasmBinarySupports, wasmConvert, wasmReduce, wasmReduceSupports, wasmSelect, wasmUnary, wasmUnarySupports } from "./wasm/elementwise.js"

/** The signature of every registered op (arguments as the public API takes them). */
export interface OpSignatures {
  unary: (op: UnaryOp, x: HostArray) => HostArray
  binary: (op: BinaryOp, a: HostArray, b: HostArray) => HostArray
  select: (pred: HostArray, onTrue: HostArray, onFalse: HostArray) => HostArray
  convert: (x: HostArray, dtype: DType) => HostArray
  reduce: (op: ReduceOp, x: HostArray, axes: ReadonlyArray<number>) => HostArray
  dotGeneral: (a: HostArray, b: HostArray, dims: DotDims) => HostArray
  transpose: (x: HostArray, perm: ReadonlyArray<number>) => HostArray
  broadcastInDim: (x: HostArray, shape: ReadonlyArray<number>, broadcastDimensions: ReadonlyArray<number>) => HostArray
  slice: (x: HostArray, start: ReadonlyArray<number>, limit: ReadonlyArray<number>, strides?: ReadonlyArray<number>) => HostArray
  pad: (x: HostArray, padValue: number, config: ReadonlyArray<readonly [number, number, number]>) => HostArray
  concatenate: (xs: ReadonlyArray<HostArray>, axis: number) => HostArray
  gather: (x: HostArray, indices: HostArray, axis: number) => HostArray
  scatterAdd: (operandShape: ReadonlyArray<number>, indices: HostArray, updates: HostArray, axis: number) => HostArray
  conv: (lhs: HostArray, rhs: HostArray, p: ConvParams) => HostArray
  reduceWindow: (op: "max" | "sum", x: HostArray, p: WindowParams) => HostArray
  selectAndScatterAdd: (source: HostArray, operand: HostArray, p: WindowParams) => HostArray
  selectAndGatherAdd: (tangents: HostArray, operand: HostArray, p: WindowParams) => HostArray
  threefry2x32: (k0: HostArray, k1: HostArray, x0: HostArray, x1: HostArray) => [HostArray, HostArray]
  iota: (dtype: DType, shape: ReadonlyArray<number>, dimension: number) => HostArray
  full: (dtype: DType, shape: ReadonlyArray<number>, value: number) => HostArray
}

/** An op name of the registry. */
export type OpName = keyof OpSignatures

/** One implementation of an op: `supports` decides per call, `run` computes. */
export interface Implementation<K extends OpName> {
  readonly name: string
  readonly supports: (...args: Parameters<OpSignatures[K]>) => boolean
  readonly run: OpSignatures[K]
}

const always = (): boolean => true
const gpujs = <K extends OpName>(run: OpSignatures[K]): Implementation<K> => ({ name: "gpu.js", supports: always, run })

/** A tanka WebAssembly SIMD kernel: runs only in the `wasm-simd` configuration, for the calls `accepts`. */
const wasmSimd = <K extends OpName>(run: OpSignatures[K], accepts: (...args: Parameters<OpSignatures[K]>) => boolean): Implementation<K> => ({
  name: "wasm-simd",
  supports: (...args) => currentMode() === "wasm-simd" && accepts(...args),
  run
})

const f32 = (...xs: HostArray[]): boolean => xs.every((x) => x.dtype === "float32")

/** Implementations per op, in order of preference. */
const TABLE: { [K in OpName]: Array<Implementation<K>> } = {
  unary: [wasmSimd<"unary">(wasmUnary(recordWasmLaunch), wasmUnarySupports), gpujs(gpujsUnary)],
  binary: [wasmSimd<"binary">(wasmBinary(recordWasmLaunch), wasmBinarySupports), gpujs(gpujsBinary)],
  select: [wasmSimd<"select">(wasmSelect(recordWasmLaunch), always), gpujs(gpujsSelect)],
  convert: [wasmSimd<"convert">(wasmConvert(recordWasmLaunch), always), gpujs(gpujsConvert)],
  reduce: [wasmSimd<"reduce">(wasmReduce(recordWasmLaunch), wasmReduceSupports), gpujs(gpujsReduce)],
  dotGeneral: [
    wasmSimd<"dotGeneral">(wasmDotGeneral((x, perm) => dispatch("transpose", x, perm), recordWasmLaunch), (a, b) => f32(a, b)),
    gpujs(gpujsDotGeneral)
  ],
  transpose: [gpujs(gpujsTranspose)],
  broadcastInDim: [gpujs(gpujsBroadcastInDim)],
  slice: [gpujs(gpujsSlice)],
  pad: [gpujs(gpujsPad)],
  concatenate: [gpujs(gpujsConcatenate)],
  gather: [gpujs(gpujsGather)],
  scatterAdd: [gpujs(gpujsScatterAdd)],
  conv: [wasmSimd<"conv">(wasmConv(recordWasmLaunch), (a, b) => f32(a, b)), gpujs(gpujsConv)],
  reduceWindow: [gpujs(gpujsReduceWindow)],
  selectAndScatterAdd: [gpujs(gpujsSelectAndScatterAdd)],
  selectAndGatherAdd: [gpujs(gpujsSelectAndGatherAdd)],
  threefry2x32: [gpujs(gpujsThreefry)],
  iota: [gpujs(gpujsIota)],
  full: [gpujs(gpujsFull)]
}

/** Runs `op` with the first implementation that supports the call. */
export const dispatch = <K extends OpName>(op: K, ...args: Parameters<OpSignatures[K]>): ReturnType<OpSignatures[K]> => {
  const impls = TABLE[op] as ReadonlyArray<Implementation<K>>
  for (const impl of impls) {
    if (impl.supports(...args)) return (impl.run as unknown as (...a: Parameters<OpSignatures[K]>) => ReturnType<OpSignatures[K]>)(...args)
  }
  throw new Error(`internal: no implementation of ${op} supports this call`)
}

/** Adds an implementation of `op`, ahead of the existing ones by default. */
export const register = <K extends OpName>(op: K, impl: Implementation<K>, position: "first" | "last" = "first"): void => {
  const list = TABLE[op] as Array<Implementation<K>>
  if (position === "first") list.unshift(impl)
  else list.push(impl)
}

/** Names of the implementations registered for `op`, in order of preference. */
export const implementations = (op: OpName): string[] => TABLE[op].map((i) => i.name)

/**
 * The `run` of the implementation of `op` named `name` ("gpu.js", "wasm-simd"), called directly
 * (without `supports`): tests compare implementations of one op on the same inputs.
 */
export const implementation = <K extends OpName>(op: K, name: string): OpSignatures[K] => {
  const impl = (TABLE[op] as ReadonlyArray<Implementation<K>>).find((i) => i.name === name)
  if (impl === undefined) throw new Error(`no implementation "${name}" of ${op}; have ${implementations(op).join(", ")}`)
  return impl.run
}
