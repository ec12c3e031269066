/**
 * The closed set of primitives. Typed with `satisfies` so a primitive missing its impl, shape
 * rule, JVP, transpose or batching rule is a compile error.
 */
import type { PrimitiveDef } from "../primitive.js"
import * as unary from "./unary.js"
import * as binary from "./binary.js"
import * as misc from "./misc.js"
import * as reduce from "./reduce.js"
import { dot_general } from "./dot_general.js"
import * as structure from "./structure.js"
import * as gatherOps from "./gather.js"
import { threefry2x32 } from "./threefry.js"
import { scan } from "./scan.js"
import { cond, remat } from "./cond.js"
import { while_loop } from "./while.js"
import { conv_general_dilated } from "./conv.js"
import * as window from "./window.js"

export const P = {
  neg: unary.neg, exp: unary.exp, log: unary.log, log1p: unary.log1p, expm1: unary.expm1, tanh: unary.tanh,
  logistic: unary.logistic, sqrt: unary.sqrt, rsqrt: unary.rsqrt, abs: unary.abs, sign: unary.sign, sin: unary.sin,
  cos: unary.cos, floor: unary.floor, ceil: unary.ceil, round: unary.round, erf: unary.erf, erf_inv: unary.erf_inv,
  not: unary.not,
  add: binary.add, sub: binary.sub, mul: binary.mul, div: binary.div, rem: binary.rem, pow: binary.pow,
  max: binary.max, min: binary.min, atan2: binary.atan2, and: binary.and, or: binary.or, xor: binary.xor,
  shift_left: binary.shift_left, shift_right_logical: binary.shift_right_logical,
  eq: binary.eq, ne: binary.ne, lt: binary.lt, le: binary.le, gt: binary.gt, ge: binary.ge,
  select_n: misc.select_n, convert_element_type: misc.convert_element_type, stop_gradient: misc.stop_gradient, iota: misc.iota,
  reduce_sum: reduce.reduce_sum, reduce_max: reduce.reduce_max, reduce_min: reduce.reduce_min, reduce_prod: reduce.reduce_prod,
  argmax: reduce.argmax, argmin: reduce.argmin,
  dot_general,
  transpose: structure.transpose, broadcast_in_dim: structure.broadcast_in_dim, reshape: structure.reshape,
  slice: structure.slice, pad: structure.pad, concatenate: structure.concatenate,
  gather: gatherOps.gather, scatter_add: gatherOps.scatter_add,
  threefry2x32,
  scan, cond, remat, while: while_loop,
  conv_general_dilated,
  reduce_window_sum: window.reduce_window_sum, reduce_window_max: window.reduce_window_max,
  select_and_gather_add: window.select_and_gather_add, select_and_scatter_add: window.select_and_scatter_add
} satisfies Record<string, PrimitiveDef<any>>

export type PrimitiveName = keyof typeof P
