/**
 * The closed set of primitives, one file each. Typed with `satisfies` so a primitive missing its
 * impl, shape rule, JVP, transpose or batching rule is a compile error.
 */
import type { PrimitiveDef } from "../primitive.js"
import { neg } from "./neg.js"
import { exp } from "./exp.js"
import { log } from "./log.js"
import { log1p } from "./log1p.js"
import { expm1 } from "./expm1.js"
import { tanh } from "./tanh.js"
import { logistic } from "./logistic.js"
import { sqrt } from "./sqrt.js"
import { rsqrt } from "./rsqrt.js"
import { abs } from "./abs.js"
import { sign } from "./sign.js"
import { sin } from "./sin.js"
import { cos } from "./cos.js"
import { floor } from "./floor.js"
import { ceil } from "./ceil.js"
import { round } from "./round.js"
import { erf } from "./erf.js"
import { erf_inv } from "./erf_inv.js"
import { not } from "./not.js"
import { add } from "./add.js"
import { sub } from "./sub.js"
import { mul } from "./mul.js"
import { div } from "./div.js"
import { rem } from "./rem.js"
import { pow } from "./pow.js"
import { max } from "./max.js"
import { min } from "./min.js"
import { atan2 } from "./atan2.js"
import { and } from "./and.js"
import { or } from "./or.js"
import { xor } from "./xor.js"
import { shift_left } from "./shift_left.js"
import { shift_right_logical } from "./shift_right_logical.js"
import { eq } from "./eq.js"
import { ne } from "./ne.js"
import { lt } from "./lt.js"
import { le } from "./le.js"
import { gt } from "./gt.js"
import { ge } from "./ge.js"
import { select_n } from "./select_n.js"
import { convert_element_type } from "./convert_element_type.js"
import { stop_gradient } from "./stop_gradient.js"
import { iota } from "./iota.js"
import { reduce_sum } from "./reduce_sum.js"
import { reduce_max } from "./reduce_max.js"
import { reduce_min } from "./reduce_min.js"
import { reduce_prod } from "./reduce_prod.js"
import { argmax } from "./argmax.js"
import { argmin } from "./argmin.js"
import { dot_general } from "./dot_general.js"
import { transpose } from "./transpose.js"
import { broadcast_in_dim } from "./broadcast_in_dim.js"
import { reshape } from "./reshape.js"
import { slice } from "./slice.js"
import { pad } from "./pad.js"
import { concatenate } from "./concatenate.js"
import { gather } from "./gather.js"
import { scatter_add } from "./scatter_add.js"
import { threefry2x32 } from "./threefry.js"
import { scan } from "./scan.js"
import { cond } from "./cond.js"
import { remat } from "./remat.js"
import { while_loop } from "./while.js"
import { conv_general_dilated } from "./conv.js"
import { reduce_window_sum } from "./reduce_window_sum.js"
import { reduce_window_max } from "./reduce_window_max.js"
import { select_and_gather_add } from "./select_and_gather_add.js"
import { select_and_scatter_add } from "./select_and_scatter_add.js"
import { tan } from "./tan.js"
import { asin } from "./asin.js"
import { acos } from "./acos.js"
import { atan } from "./atan.js"
import { sinh } from "./sinh.js"
import { cosh } from "./cosh.js"
import { cumsum } from "./cumsum.js"
import { cumprod } from "./cumprod.js"
import { cummax } from "./cummax.js"
import { cummin } from "./cummin.js"
import { sort } from "./sort.js"
import { top_k } from "./top_k.js"
import { scatter } from "./scatter.js"
import { scatter_mul } from "./scatter_mul.js"

export const P = {
  neg,
  exp,
  log,
  log1p,
  expm1,
  tanh,
  logistic,
  sqrt,
  rsqrt,
  abs,
  sign,
  sin,
  cos,
  floor,
  ceil,
  round,
  erf,
  erf_inv,
  not,
  add,
  sub,
  mul,
  div,
  rem,
  pow,
  max,
  min,
  atan2,
  and,
  or,
  xor,
  shift_left,
  shift_right_logical,
  eq,
  ne,
  lt,
  le,
  gt,
  ge,
  select_n,
  convert_element_type,
  stop_gradient,
  iota,
  reduce_sum,
  reduce_max,
  reduce_min,
  reduce_prod,
  argmax,
  argmin,
  dot_general,
  transpose,
  broadcast_in_dim,
  reshape,
  slice,
  pad,
  concatenate,
  gather,
  scatter_add,
  threefry2x32,
  scan,
  cond,
  remat,
  while: while_loop,
  conv_general_dilated,
  reduce_window_sum,
  reduce_window_max,
  select_and_gather_add,
  select_and_scatter_add,
  tan,
  asin,
  acos,
  atan,
  sinh,
  cosh,
  cumsum,
  cumprod,
  cummax,
  cummin,
  sort,
  top_k,
  scatter,
  scatter_mul
} satisfies Record<string, PrimitiveDef<any>>

export type PrimitiveName = keyof typeof P
