/**
 * Kernel body snippets of the elementwise ops. Each takes the names of the loaded operand
 * values (`v0`, `v1`, ...) and returns source lines ending in `return ...;`. Bodies use only
 * `const`, float literals and `Math.*` calls that gpu.js maps on every backend. Float bodies
 * return only on their last line, so a fused kernel can inline several of them in a row.
 */

import { RUNTIME_ZERO, notNaN as isNum } from "./codegen.js"

type Body = (v: ReadonlyArray<string>) => string[]

const ret = (e: string): string[] => [`return ${e};`]

/** `trunc(x)` without Math.trunc (not mapped on every backend). */
const trunc = (x: string): string => `(${x} < 0.0 ? Math.ceil(${x}) : Math.floor(${x}))`

// IEEE special values on the shader paths. GLSL and WGSL leave built-ins undefined outside their
// domain and on NaN or ±Inf (SwiftShader: log(-2) = log 2, log(NaN) = 89.1, tanh(100) = NaN,
// exp(NaN) = Inf), `x != x` is not a reliable NaN test there, and gpu.js writes `Infinity` as
// float32's largest finite value. So the bodies below decide special inputs themselves, with
// ordered comparisons (false for NaN on every backend), and make NaN and ±Inf at run time from
// a runtime zero, which no compiler can fold.



/** NaN, made at run time (the operand is only named so each op's NaN reads as its own). */
const nanOf = (_x: string): string => `(${RUNTIME_ZERO} / ${RUNTIME_ZERO})`

/** float32's largest finite value: above it is +Inf (gpu.js's `Infinity` is this value in shaders). */
const FLT_MAX = "3.4028234663852886e38"

/** `body` with NaN inputs returning NaN: the built-in it calls is undefined there on GPUs. */
const nanIn = (body: Body): Body => (v) => {
  const lines = body(v)
  const last = /^return (.*);$/.exec(lines[lines.length - 1]!)![1]!
  return [...lines.slice(0, -1), `return ${v.map(isNum).join(" && ")} ? (${last}) : ${v.join(" + ")};`]
}

// erf: rational approximation on [-4, 4] (Eigen/XLA's float erf); |erf(x)| rounds to 1 beyond.
const ERF_ALPHA = [-2.72614225801306e-10, 2.77068142495902e-8, -2.10102402082508e-6, -5.69250639462346e-5, -7.34990630326855e-4, -2.95459980854025e-3, -1.60960333262415e-2]
const ERF_BETA = [-1.45660718464996e-5, -2.13374055278905e-4, -1.68282697438203e-3, -7.37332916720468e-3, -1.42647390514189e-2]

const horner = (name: string, x: string, coeffs: ReadonlyArray<number>): string[] => {
  const lines = [`const ${name}0 = ${coeffs[0]};`]
  for (let k = 1; k < coeffs.length; k++) lines.push(`const ${name}${k} = ${name}${k - 1} * ${x} + ${coeffs[k]};`)
  return lines
}

const erfBody: Body = ([x]) => [
  `const ex = Math.min(Math.max(${x}, -4.0), 4.0);`,
  `const ex2 = ex * ex;`,
  ...horner("ep", "ex2", ERF_ALPHA),
  ...horner("eq", "ex2", ERF_BETA),
  `return ${isNum(x!)} ? ex * ep${ERF_ALPHA.length - 1} / eq${ERF_BETA.length - 1} : ${x};`
]

// erf_inv: Giles, "Approximating the erfinv function" (single precision), as JAX/XLA use.
const ERFINV_SMALL = [2.81022636e-8, 3.43273939e-7, -3.5233877e-6, -4.39150654e-6, 0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941]
const ERFINV_LARGE = [-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047, 1.00167406, 2.83297682]

const erfInvBody: Body = ([x]) => [
  `const w = -Math.log((1.0 - ${x}) * (1.0 + ${x}));`,
  `const ws = w - 2.5;`,
  `const wl = Math.sqrt(w) - 3.0;`,
  ...horner("ps", "ws", ERFINV_SMALL),
  ...horner("pl", "wl", ERFINV_LARGE),
  // ±1 gives ±Inf (x / +0), outside [-1, 1] and NaN give NaN
  `return Math.abs(${x}) < 1.0 ? (w < 5.0 ? ps${ERFINV_SMALL.length - 1} * ${x} : pl${ERFINV_LARGE.length - 1} * ${x}) : (Math.abs(${x}) == 1.0 ? ${x} / ${RUNTIME_ZERO} : ${nanOf(x!)});`
]

// lax.round: half away from zero. floor(|x| + 0.5) would round 0.49999997 up in float32.
const roundBody: Body = ([x]) => [
  `const ra = Math.abs(${x});`,
  `const rf = Math.floor(ra);`,
  `const rr = ra - rf >= 0.5 ? rf + 1.0 : rf;`,
  `return ${x} < 0.0 ? -rr : (${x} > 0.0 ? rr : ${x});`
]

// sin/cos: the argument is reduced in quarter turns (x·2/π), then cephes' float32 polynomials run
// on the reduced angle in [-π/4, π/4]. GPU built-ins are only required to be within 2^-11 (Vulkan),
// and SwiftShader's are off by ~2e-4, so tanka computes both itself, on every backend.
//
// Below 4, a Cody-Waite reduction by π/4 in three parts is exact enough (at most 5 octants).
// From 4 up to float32's maximum, a Payne-Hanek reduction: with a = t·2^e (t in [1, 2), e found by
// comparing with exact powers of two), the 24-bit integer m = t·2^23 is split in two 12-bit halves
// and multiplied with 2/π in 12-bit chunks; every product is an integer below 2^24, so exact in
// float32 (and in float64, which gpu.js's `cpu` mode uses). The products' 12-bit halves are summed
// into base-2^12 digits (with carries) whose weights are 2^(e-23-12k): digits at 2^3 and above are
// whole multiples of 8 quarter turns and dropped, the rest split into an integer part (the
// quadrant, mod 4) and a fraction. The fraction is summed from its smallest digit up as
// non-negative terms (digit complements when it is above one half, so the nearest quadrant is
// subtracted exactly), so no cancellation is left for float rounding: float32 inputs come within
// 2^-29.9 quarter turns of a multiple of π/2 (16367173·2^72; test/kernels/fixtures/trigWorstCases.ts),
// and the 204 bits of 2/π used here keep x·2/π to 2^-76. Every value before the final sum is an
// exact float32, so GPUs that round loosely or contract multiply-adds compute the same digits.
// Measured: within 2.75 float32 ulp of float64 Math.sin/cos (tan 4.6) over 2^25 bit patterns.

/** 2/π in 12-bit chunks: 2/π = Σ_i TWO_OVER_PI_12[i]·2^(-12(i+1)) + O(2^-204) (checked by a test). */
export const TWO_OVER_PI_12 = [2607, 2435, 1764, 3652, 338, 2556, 629, 2001, 3923, 1245, 3085, 2914, 2393, 2364, 1081, 65, 4069] as const

/** A float literal gpu.js emits as a float (never an int) on every backend. */
const fl = (v: number): string => (Number.isInteger(v) && Math.abs(v) < 1e21 ? `${v}.0` : `${v}`)

/**
 * Lines defining `${p}qj` (the octant of the nearest multiple of π/2, an even number 0, 2, 4 or 6)
 * and `${p}qz` (the angle left, in [-π/4, π/4]) for |x| ≥ 4 and finite; for other x they are
 * computed from 4 and unused.
 */
const payneHanek = (a: string, p: string): string[] => {
  const n = TWO_OVER_PI_12.length
  // s = 2^(e - 110) rather than 2^e, so that every weight below is s times a normal float32
  // constant: shader compilers fold chains of constant factors, and 2^(-23-12k) itself would
  // underflow (flushed to 0 on GPUs) for the low levels
  const lines = [`let ${p}t = ${a} >= 4.0 && ${a} <= 3.4028234663852886e38 ? ${a} : 4.0;`, `let ${p}s = ${fl(2 ** -110)};`]
  for (const k of [64, 32, 16, 8, 4, 2, 1]) {
    lines.push(`if (${p}t >= ${fl(2 ** k)}) { ${p}t = ${p}t * ${fl(2 ** -k)}; ${p}s = ${p}s * ${fl(2 ** k)}; }`)
  }
  // t in [1, 2), a = t·2^e = m·2^(e-23) with m = mh·2^12 + ml
  lines.push(`const ${p}mh = Math.floor(${p}t * 2048.0);`, `const ${p}ml = ${p}t * 8388608.0 - ${p}mh * 4096.0;`)
  // mh·c_i has weight s·2^(-23-12i) (level i), ml·c_i level i + 1; each product's high 12 bits go one level up
  for (let i = 0; i < n; i++) {
    const c = fl(TWO_OVER_PI_12[i]!)
    lines.push(
      `const ${p}ph${i} = ${p}mh * ${c};`,
      `const ${p}hh${i} = Math.floor(${p}ph${i} * 0.000244140625);`,
      `const ${p}lh${i} = ${p}ph${i} - ${p}hh${i} * 4096.0;`,
      `const ${p}pl${i} = ${p}ml * ${c};`,
      `const ${p}hl${i} = Math.floor(${p}pl${i} * 0.000244140625);`,
      `const ${p}ll${i} = ${p}pl${i} - ${p}hl${i} * 4096.0;`
    )
  }
  // level k (k = -1 … n) collects lh_k, ll_(k-1), hh_(k+1), hl_k; carries run from the bottom up
  const lv = (k: number): string => (k < 0 ? `m${-k}` : `${k}`)
  for (let k = n; k >= -1; k--) {
    const terms: string[] = []
    if (k >= 0 && k < n) terms.push(`${p}lh${k}`, `${p}hl${k}`)
    if (k >= 1) terms.push(`${p}ll${k - 1}`)
    if (k + 1 < n) terms.push(`${p}hh${k + 1}`)
    if (k < n) terms.push(`${p}c${lv(k + 1)}`)
    lines.push(
      `const ${p}r${lv(k)} = ${terms.join(" + ")};`,
      `const ${p}c${lv(k)} = Math.floor(${p}r${lv(k)} * 0.000244140625);`,
      `const ${p}d${lv(k)} = ${p}r${lv(k)} - ${p}c${lv(k)} * 4096.0;`
    )
  }
  // the carry out of level -1 weighs 2^(e+1), a multiple of 8 quarter turns (e ≥ 2): dropped
  // level k weighs 2^(e-23-12k) = s·2^(87-12k)
  for (let k = -1; k <= n; k++) lines.push(`const ${p}w${lv(k)} = ${p}s * ${fl(2 ** (87 - 12 * k))};`)
  for (let k = -1; k <= n; k++) {
    const K = lv(k)
    lines.push(
      `const ${p}v${K} = ${p}d${K} * ${p}w${K};`,
      `const ${p}u${K} = ${p}v${K} - 8.0 * Math.floor(${p}v${K} * 0.125);`,
      `const ${p}i${K} = Math.floor(${p}u${K});`,
      `const ${p}f${K} = ${p}u${K} - ${p}i${K};`
    )
  }
  const levels = Array.from({ length: n + 2 }, (_, j) => lv(j - 1))
  lines.push(
    `const ${p}qi = ${levels.map((K) => `${p}i${K}`).join(" + ")};`,
    `const ${p}qneg = ${levels.map((K) => `${p}f${K}`).join(" + ")} >= 0.5 ? 1.0 : 0.0;`
  )
  // |fraction|: the digits themselves, or their complements to 1 - fraction
  for (const K of levels) {
    lines.push(`const ${p}g${K} = ${p}qneg > 0.5 ? (${p}w${K} < 1.0 ? Math.min(1.0, ${p}w${K} * 4096.0) - ${p}w${K} : 0.0) - ${p}f${K} : ${p}f${K};`)
  }
  lines.push(
    `const ${p}qf = ${[...levels].reverse().map((K) => `${p}g${K}`).reduce((acc, g) => `(${acc} + ${g})`)};`,
    `const ${p}qq = ${p}qi + ${p}qneg;`,
    `const ${p}qj = 2.0 * (${p}qq - 4.0 * Math.floor(${p}qq * 0.25));`,
    // float32(π/2) is π/2 + 4.371139e-8: the second product takes that back
    `const ${p}qs = ${p}qneg > 0.5 ? -${p}qf : ${p}qf;`,
    `const ${p}qz = ${p}qs * 1.5707963705062866 - ${p}qs * 4.371139000186243e-8;`
  )
  return lines
}

/**
 * Lines defining `${p}sin` and `${p}cos` (sin x and cos x, with their signs) for a variable prefix
 * `p`: the octant `j` (even) and angle `z` from Cody-Waite below 4 and Payne-Hanek above, then the
 * polynomials. NaN and ±Infinity take the Cody-Waite path, which turns them into NaN (∞ - ∞).
 */
const trigValues = (x: string, p: string): string[] => [
  `const ${p}a = Math.abs(${x});`,
  `const ${p}cj0 = Math.floor(${p}a * 1.2732395447351628);`,
  `const ${p}cj = ${p}cj0 - 2.0 * Math.floor(${p}cj0 * 0.5) > 0.5 ? ${p}cj0 + 1.0 : ${p}cj0;`,
  `const ${p}cz = ((${p}a - ${p}cj * 0.78515625) - ${p}cj * 0.00024187564849853515625) - ${p}cj * 3.77489497744594108e-8;`,
  ...payneHanek(`${p}a`, p),
  `const ${p}big = ${p}a >= 4.0 && ${p}a <= 3.4028234663852886e38 ? 1.0 : 0.0;`,
  `const ${p}j = ${p}big > 0.5 ? ${p}qj : ${p}cj - 8.0 * Math.floor(${p}cj * 0.125);`,
  `const ${p}z = ${p}big > 0.5 ? ${p}qz : ${p}cz;`,
  `const ${p}hi = ${p}j > 3.5 ? 1.0 : 0.0;`,
  `const ${p}jr = ${p}j - 4.0 * ${p}hi;`,
  `const ${p}ss = (${x} < 0.0 ? -1.0 : 1.0) * (${p}hi > 0.5 ? -1.0 : 1.0);`,
  `const ${p}cs = (${p}hi > 0.5 ? -1.0 : 1.0) * (${p}jr > 1.5 ? -1.0 : 1.0);`,
  `const ${p}zz = ${p}z * ${p}z;`,
  `const ${p}ps = ${p}z + ${p}z * ${p}zz * (-0.16666654611 + ${p}zz * (0.0083321608736 + ${p}zz * -0.00019515295891));`,
  `const ${p}pc = 1.0 - 0.5 * ${p}zz + ${p}zz * ${p}zz * (0.04166664568298827 + ${p}zz * (-0.001388731625493765 + ${p}zz * 0.00002443315711809948));`,
  `const ${p}swap = ${p}jr > 0.5 && ${p}jr < 2.5 ? 1.0 : 0.0;`,
  // below 1e-4 sin x rounds to x in float32 (and the reduction would lose it)
  `const ${p}sin = ${p}a < 0.0001 ? ${x} : ${p}ss * (${p}swap > 0.5 ? ${p}pc : ${p}ps);`,
  `const ${p}cos = ${p}cs * (${p}swap > 0.5 ? ${p}ps : ${p}pc);`
]

// sin/cos/tan share the reduction above; tan is their quotient.
const trig = (x: string, which: "sin" | "cos" | "tan"): string[] => [
  ...trigValues(x, "t"),
  `return ${which === "sin" ? "tsin" : which === "cos" ? "tcos" : "tsin / tcos"};`
]

/**
 * acos x = 2·atan2(√(1 - x), √(1 + x)): well conditioned at both ends of [-1, 1] (1 ∓ x is exact
 * there), and built on atan2, which GPUs compute to a few ulp, unlike their acos (1e-4 off on
 * SwiftShader). NaN outside [-1, 1] from the square roots.
 */
const acosBody: Body = ([x]) => ret(`Math.abs(${x}) <= 1.0 ? 2.0 * Math.atan2(Math.sqrt(1.0 - ${x}), Math.sqrt(1.0 + ${x})) : ${nanOf(x!)}`)

/**
 * log and log1p: NaN below the domain, -Inf at its edge, +Inf at +Inf, decided here (GPU
 * built-ins return log|x| for negative x and a finite value at 0).
 */
const logBody =
  (fn: "log" | "log1p", edge: string): Body =>
  ([x]) =>
    ret(`${x} > ${edge} ? (${x} <= ${FLT_MAX} ? Math.${fn}(${x}) : ${x}) : (${x} == ${edge} ? -1.0 / ${RUNTIME_ZERO} : ${nanOf(x!)})`)

/** tanh: ±1 from |x| = 10 on (exact in float32 there; GPU built-ins overflow to NaN near 100). */
const tanhBody: Body = ([x]) => ret(`Math.abs(${x}) < 10.0 ? Math.tanh(${x}) : (${x} > 0.0 ? 1.0 : (${x} < 0.0 ? -1.0 : ${x}))`)

/** Float (and where noted int) unary bodies on one value operand. */
export const UNARY_BODIES = {
  neg: ([x]) => ret(`-${x}`),
  exp: nanIn(([x]) => ret(`Math.exp(${x})`)),
  log: logBody("log", "0.0"),
  log1p: logBody("log1p", "-1.0"),
  expm1: nanIn(([x]) => ret(`Math.expm1(${x})`)),
  tanh: tanhBody,
  logistic: nanIn(([x]) => ret(`1.0 / (1.0 + Math.exp(-${x}))`)),
  sqrt: ([x]) => ret(`Math.sqrt(${x})`),
  rsqrt: ([x]) => ret(`1.0 / Math.sqrt(${x})`),
  abs: ([x]) => ret(`Math.abs(${x})`),
  sign: ([x]) => ret(`${x} > 0.0 ? 1.0 : (${x} < 0.0 ? -1.0 : ${x})`),
  sin: ([x]) => trig(x!, "sin"),
  cos: ([x]) => trig(x!, "cos"),
  tan: ([x]) => trig(x!, "tan"),
  asin: ([x]) => ret(`Math.asin(${x})`),
  acos: acosBody,
  atan: ([x]) => ret(`Math.atan(${x})`),
  sinh: nanIn(([x]) => ret(`Math.sinh(${x})`)),
  cosh: nanIn(([x]) => ret(`Math.cosh(${x})`)),
  floor: ([x]) => ret(`Math.floor(${x})`),
  ceil: ([x]) => ret(`Math.ceil(${x})`),
  round: roundBody,
  erf: erfBody,
  erf_inv: erfInvBody,
  not: ([x]) => ret(`1.0 - ${x}`)
} satisfies Record<string, Body>

/** Core of `rem` (C fmod sign convention), corrected when float32 `a / b` rounds across an integer. */
const remCore: Body = ([a, b]) => [
  `const rq = ${a} / ${b};`,
  `const r0 = ${a} - ${b} * ${trunc("rq")};`,
  `const rb = Math.abs(${b});`,
  `const r1 = (${a} >= 0.0 && r0 < 0.0) ? r0 + rb : ((${a} < 0.0 && r0 > 0.0) ? r0 - rb : r0);`,
  // a quotient beyond float32 (a tiny b) leaves a remainder below |b|, under an ulp of a: ±0;
  // fmod(±Inf, b) is NaN (said outright: GPUs fold Inf · 0 to 0)
  `return Math.abs(rq) > ${FLT_MAX} && ${b} != 0.0 ? (Math.abs(${a}) <= ${FLT_MAX} ? ${a} * 0.0 : ${nanOf(a!)}) : (Math.abs(r1) >= rb ? (r1 > 0.0 ? r1 - rb : r1 + rb) : r1);`
]

/** Float `rem`: fmod(x, ±inf) = x for finite x; x % 0 is NaN through the core. */
const remBody: Body = ([a, b]) => {
  const core = remCore([a!, b!])
  const last = core.pop()!.replace(/^return (.*);$/, "$1")
  return [...core, `return Math.abs(${b}) > ${FLT_MAX} ? (Math.abs(${a}) <= ${FLT_MAX} ? ${a} : ${a} - ${a}) : (${last});`]
}

/** Integer `rem`: x % 0 = x (XLA). */
const intRemBody: Body = ([a, b]) => [`if (${b} == 0.0) { return ${a}; }`, ...remCore([a!, b!])]

/** Integer `div`: truncates toward zero; x / 0 = -1 (XLA: all bits set). */
const intDivBody: Body = ([a, b]) => [
  `if (${b} == 0.0) { return -1.0; }`,
  `const dq = ${a} / ${b};`,
  `return ${trunc("dq")};`
]

/** Integer `pow` by binary exponentiation (exact while |result| < 2^24); negative exponents follow XLA. */
const intPowBody: Body = ([a, b]) => [
  `if (${b} < 0.0) {`,
  `  if (${a} == 1.0) { return 1.0; }`,
  `  if (${a} == -1.0) { return ${b} - 2.0 * Math.floor(${b} / 2.0) == 0.0 ? 1.0 : -1.0; }`,
  `  return 0.0;`,
  `}`,
  `let pr = 1.0;`,
  `let pb = ${a};`,
  `let pe = ${b};`,
  `for (let k = 0; k < 25; k++) {`,
  `  if (pe > 0.0) {`,
  `    const ph = Math.floor(pe / 2.0);`,
  `    if (pe - ph * 2.0 > 0.0) { pr = pr * pb; }`,
  `    pb = pb * pb;`,
  `    pe = ph;`,
  `  }`,
  `}`,
  `return pr;`
]

/**
 * Float `pow` with C's special cases (as XLA and JAX; JavaScript's `Math.pow` differs only at a
 * base of ±1 with a NaN or infinite exponent) decided here: GPU built-ins are
 * undefined for a negative base (SwiftShader returns |a|^b) and at 0, NaN and ±Inf. A negative
 * base takes an integer exponent's sign ((-2)^3 = -8) and gives NaN for any other.
 */
const powBody: Body = ([a, b]) => [
  `const pm = Math.abs(${a});`,
  `const pr = Math.pow(pm, ${b});`,
  `const podd = Math.floor(${b}) == ${b} && Math.abs(${b} - 2.0 * Math.floor(${b} * 0.5)) == 1.0 ? 1.0 : 0.0;`,
  // 1 for b = 0 and for a = 1 whatever b is (NaN too), as C, XLA and JAX define pow
  `return ${b} == 0.0 || ${a} == 1.0 ? 1.0 : (!(${isNum(a!)} && ${isNum(b!)}) ? ${a} + ${b} : (` +
    // an infinite exponent: 0 or Inf by whether |a| is above 1; 1 at a = -1 (C's pow)
    `Math.abs(${b}) > ${FLT_MAX} ? (pm == 1.0 ? 1.0 : ((pm > 1.0) == (${b} > 0.0) ? Math.abs(${b}) : 0.0)) : (` +
    // a zero base: ±0 for b > 0, ±Inf (1/a carries a's sign) for b < 0; the sign only for odd b
    `${a} == 0.0 ? (${b} > 0.0 ? (podd > 0.0 ? ${a} : 0.0) : (podd > 0.0 ? 1.0 / (${a} - ${RUNTIME_ZERO}) : 1.0 / ${RUNTIME_ZERO})) : (` +
    // an infinite base
    `pm > ${FLT_MAX} ? (${b} > 0.0 ? (podd > 0.0 ? ${a} : pm) : (podd > 0.0 ? 1.0 / ${a} : 0.0)) : (` +
    `${a} < 0.0 ? (Math.floor(${b}) == ${b} ? (podd > 0.0 ? -pr : pr) : ${nanOf(a!)}) : pr)))));`
]

/**
 * `atan2` with ±0 and NaN decided here: SwiftShader's built-in swaps the branches for y = -0
 * (atan2(-0, 1) came out as π).
 */
const atan2Body: Body = ([a, b]) =>
  ret(
    `!(${isNum(a!)} && ${isNum(b!)}) ? ${a} + ${b} : (${a} == 0.0 ? ` +
      `(${b} > 0.0 || (${b} == 0.0 && 1.0 / (${b} - ${RUNTIME_ZERO}) > 0.0) ? ${a} : (1.0 / (${a} - ${RUNTIME_ZERO}) > 0.0 ? 3.141592653589793 : -3.141592653589793)) : Math.atan2(${a}, ${b}))`
  )

/** Value-mode binary bodies (floats; ints within ±2^24; bools as 0/1). */
export const BINARY_BODIES = {
  add: ([a, b]) => ret(`${a} + ${b}`),
  sub: ([a, b]) => ret(`${a} - ${b}`),
  mul: ([a, b]) => ret(`${a} * ${b}`),
  div: ([a, b]) => ret(`${a} / ${b}`),
  rem: remBody,
  pow: powBody,
  // NaN in either operand gives a + b = NaN
  max: ([a, b]) => ret(`${a} > ${b} ? ${a} : (${a} <= ${b} ? ${b} : ${a} + ${b})`),
  min: ([a, b]) => ret(`${a} < ${b} ? ${a} : (${a} >= ${b} ? ${b} : ${a} + ${b})`),
  atan2: atan2Body,
  and: ([a, b]) => ret(`${a} * ${b}`),
  or: ([a, b]) => ret(`${a} + ${b} - ${a} * ${b}`),
  xor: ([a, b]) => ret(`${a} + ${b} - 2.0 * ${a} * ${b}`),
  eq: ([a, b]) => ret(`${a} == ${b} ? 1.0 : 0.0`),
  ne: ([a, b]) => ret(`${a} != ${b} ? 1.0 : 0.0`),
  lt: ([a, b]) => ret(`${a} < ${b} ? 1.0 : 0.0`),
  le: ([a, b]) => ret(`${a} <= ${b} ? 1.0 : 0.0`),
  gt: ([a, b]) => ret(`${a} > ${b} ? 1.0 : 0.0`),
  ge: ([a, b]) => ret(`${a} >= ${b} ? 1.0 : 0.0`)
} satisfies Record<string, Body>

/** Integer overrides of value-mode bodies. */
export const INT_BINARY_BODIES: Partial<Record<keyof typeof BINARY_BODIES, Body>> = {
  div: intDivBody,
  rem: intRemBody,
  pow: intPowBody
}

/**
 * Lexicographic comparison of two int32/uint32 numbers given as planes (ah, al, bh, bl):
 * declares `sa`, `sb` (signed high planes for int32) and returns the relation's condition.
 */
export const planeCompare = (signed: boolean, [ah, al, bh, bl]: ReadonlyArray<string>): { lines: string[]; cond: Record<"eq" | "ne" | "lt" | "le" | "gt" | "ge", string> } => ({
  lines: signed
    ? [`const sa = ${ah} >= 32768.0 ? ${ah} - 65536.0 : ${ah};`, `const sb = ${bh} >= 32768.0 ? ${bh} - 65536.0 : ${bh};`]
    : [`const sa = ${ah};`, `const sb = ${bh};`],
  cond: {
    eq: `(sa == sb && ${al} == ${bl})`,
    ne: `(sa != sb || ${al} != ${bl})`,
    lt: `(sa < sb || (sa == sb && ${al} < ${bl}))`,
    le: `(sa < sb || (sa == sb && ${al} <= ${bl}))`,
    gt: `(sa > sb || (sa == sb && ${al} > ${bl}))`,
    ge: `(sa > sb || (sa == sb && ${al} >= ${bl}))`
  }
})

/** Shifts on planes (xh, xl, bh, bl) with the plane selector `s0`; amounts >= 32 (or negative) give 0. */
export const shiftBody = (op: "shift_left" | "shift_right_logical", [xh, xl, bh, bl]: ReadonlyArray<string>): string[] => [
  `const sh = ${bh} > 0.0 ? 32.0 : ${bl};`,
  `let rh = 0.0;`,
  `let rl = 0.0;`,
  ...(op === "shift_left"
    ? [
        `if (sh < 16.0) { rh = ((${xh} << sh) & 65535) | (${xl} >> (16.0 - sh)); rl = (${xl} << sh) & 65535; }`,
        `else { if (sh < 32.0) { rh = (${xl} << (sh - 16.0)) & 65535; } }`
      ]
    : [
        `if (sh < 16.0) { rh = ${xh} >> sh; rl = ((${xl} >> sh) | (${xh} << (16.0 - sh))) & 65535; }`,
        `else { if (sh < 32.0) { rl = ${xh} >> (sh - 16.0); } }`
      ]),
  `return s0 < 0.5 ? rh : rl;`
]
