/**
 * `jax.lax`: the primitive operations, the lowered ones (dynamic slices, rev, associative scan) and control flow.
 *
 * @module
 */
export {
  add, sub, mul, div, rem, pow, max, min, neg, exp, log, log1p, expm1, tanh, logistic, sqrt, rsqrt, abs, sign, sin, cos,
  tan, asin, acos, atan, atan2, sinh, cosh, erf, erfInv, floor, ceil, round, not, and, or, xor,
  eq, ne, lt, le, gt, ge, selectN, convertElementType, stopGradient, reduceSum, reduceMax, reduceMin, reduceProd,
  argmax, argmin, dotGeneral, transpose, broadcastInDim, reshape, slice, pad, concatenate, iota, gather, scatterAdd,
  scatter, scatterMul, convGeneralDilated, reduceWindowMax, reduceWindowSum, type ConvParams, type ConvDimensionNumbers, type WindowParams,
  type DotDims
} from "../transforms/core/lax.js"
export { rev, dynamicSlice, dynamicUpdateSlice, associativeScan, sliceInDim } from "../transforms/core/lowered.js"
export { cumsum, cumprod, cummax, cummin, sort, sortKeyVal, topK, type CumulativeOptions, type SortOptions } from "./laxOps.js"
export { scan, map, cond, switchCase as switch, whileLoop, foriLoop } from "../transforms/raw/control.js"
