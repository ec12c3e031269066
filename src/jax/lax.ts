/** `jax.lax`: the primitive operations (and, as they land, control flow). */
export {
  add, sub, mul, div, rem, pow, max, min, neg, exp, log, tanh, logistic, sqrt, rsqrt, abs, sign, sin, cos, erf, erfInv,
  eq, ne, lt, le, gt, ge, selectN, convertElementType, stopGradient, reduceSum, reduceMax, reduceMin, reduceProd,
  argmax, argmin, dotGeneral, transpose, broadcastInDim, reshape, slice, pad, concatenate, iota, gather, scatterAdd,
  convGeneralDilated, reduceWindowMax, reduceWindowSum, type ConvParams, type ConvDimensionNumbers, type WindowParams,
  type DotDims
} from "../transforms/core/lax.js"
export { scan, map, cond, switchCase as switch, whileLoop, foriLoop } from "../transforms/raw/control.js"
