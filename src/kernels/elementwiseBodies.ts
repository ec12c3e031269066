/**
 * Kernel body snippets of the elementwise ops. Each takes the names of the loaded operand
 * values (`v0`, `v1`, ...) and returns source lines ending in `return ...;`. Bodies use only
 * `const`, float literals and `Math.*` calls that gpu.js maps on every backend. Float bodies
 * return only on their last line, so a fused kernel can inline several of them in a row.
 */

type Body = (v: ReadonlyArray<string>) => string[]

const ret = (e: string): string[] => [`return ${e};`]

/** `trunc(x)` without Math.trunc (not mapped on every backend). */
const trunc = (x: string): string => `(${x} < 0.0 ? Math.ceil(${x}) : Math.floor(${x}))`

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
  `return ${x} != ${x} ? ${x} : ex * ep${ERF_ALPHA.length - 1} / eq${ERF_BETA.length - 1};`
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
  `return Math.abs(${x}) == 1.0 ? ${x} * Infinity : (w < 5.0 ? ps${ERFINV_SMALL.length - 1} * ${x} : pl${ERFINV_LARGE.length - 1} * ${x});`
]

// lax.round: half away from zero. floor(|x| + 0.5) would round 0.49999997 up in float32.
const roundBody: Body = ([x]) => [
  `const ra = Math.abs(${x});`,
  `const rf = Math.floor(ra);`,
  `const rr = ra - rf >= 0.5 ? rf + 1.0 : rf;`,
  `return ${x} < 0.0 ? -rr : (${x} > 0.0 ? rr : ${x});`
]

// sin/cos: Cody-Waite reduction by π/4 in three parts and cephes' float polynomials, in float32
// arithmetic on every backend. GPU built-ins are only required to be within 2^-11 (Vulkan), and
// SwiftShader's are off by ~2e-4; this keeps every backend within a few float32 ulp for |x| < 8192.
const trig = (x: string, wantCos: boolean): string[] => [
  `const ta = Math.abs(${x});`,
  `let tj = Math.floor(ta * 1.2732395447351628);`,
  `let ty = tj;`,
  `if (tj - 2.0 * Math.floor(tj * 0.5) > 0.5) { tj = tj + 1.0; ty = ty + 1.0; }`,
  `tj = tj - 8.0 * Math.floor(tj * 0.125);`,
  `let ts = ${wantCos ? "1.0" : `(${x} < 0.0 ? -1.0 : 1.0)`};`,
  `if (tj > 3.5) { ts = -ts; tj = tj - 4.0; }`,
  ...(wantCos ? [`if (tj > 1.5) { ts = -ts; }`] : []),
  `const tz = ((ta - ty * 0.78515625) - ty * 0.00024187564849853515625) - ty * 3.77489497744594108e-8;`,
  `const tzz = tz * tz;`,
  `const tsin = tz + tz * tzz * (-0.16666654611 + tzz * (0.0083321608736 + tzz * -0.00019515295891));`,
  `const tcos = 1.0 - 0.5 * tzz + tzz * tzz * (0.04166664568298827 + tzz * (-0.001388731625493765 + tzz * 0.00002443315711809948));`,
  `const tuse = ${wantCos ? "tj > 0.5 && tj < 2.5 ? tsin : tcos" : "tj > 0.5 && tj < 2.5 ? tcos : tsin"};`,
  // NaN and ±Infinity need no test: the reduction turns them into NaN (∞ - ∞)
  wantCos ? `return ts * tuse;` : `return ta < 0.0001 ? ${x} : ts * tuse;`
]

/** Float (and where noted int) unary bodies on one value operand. */
export const UNARY_BODIES = {
  neg: ([x]) => ret(`-${x}`),
  exp: ([x]) => ret(`Math.exp(${x})`),
  log: ([x]) => ret(`Math.log(${x})`),
  log1p: ([x]) => ret(`Math.log1p(${x})`),
  expm1: ([x]) => ret(`Math.expm1(${x})`),
  tanh: ([x]) => ret(`Math.tanh(${x})`),
  logistic: ([x]) => ret(`1.0 / (1.0 + Math.exp(-${x}))`),
  sqrt: ([x]) => ret(`Math.sqrt(${x})`),
  rsqrt: ([x]) => ret(`1.0 / Math.sqrt(${x})`),
  abs: ([x]) => ret(`Math.abs(${x})`),
  sign: ([x]) => ret(`Math.sign(${x})`),
  sin: ([x]) => trig(x!, false),
  cos: ([x]) => trig(x!, true),
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
  `return Math.abs(r1) >= rb ? (r1 > 0.0 ? r1 - rb : r1 + rb) : r1;`
]

/** Float `rem`: fmod(x, ±inf) = x for finite x; x % 0 is NaN through the core. */
const remBody: Body = ([a, b]) => {
  const core = remCore([a!, b!])
  const last = core.pop()!.replace(/^return (.*);$/, "$1")
  return [...core, `return Math.abs(${b}) == Infinity ? (Math.abs(${a}) < Infinity ? ${a} : ${a} - ${a}) : (${last});`]
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

/** Value-mode binary bodies (floats; ints within ±2^24; bools as 0/1). */
export const BINARY_BODIES = {
  add: ([a, b]) => ret(`${a} + ${b}`),
  sub: ([a, b]) => ret(`${a} - ${b}`),
  mul: ([a, b]) => ret(`${a} * ${b}`),
  div: ([a, b]) => ret(`${a} / ${b}`),
  rem: remBody,
  pow: ([a, b]) => ret(`Math.pow(${a}, ${b})`),
  // NaN in either operand gives a + b = NaN
  max: ([a, b]) => ret(`${a} > ${b} ? ${a} : (${a} <= ${b} ? ${b} : ${a} + ${b})`),
  min: ([a, b]) => ret(`${a} < ${b} ? ${a} : (${a} >= ${b} ? ${b} : ${a} + ${b})`),
  atan2: ([a, b]) => ret(`Math.atan2(${a}, ${b})`),
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
