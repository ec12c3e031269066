/**
 * `lax.conv_general_dilated` for N spatial dims, with window strides, (negative) padding,
 * lhs/rhs dilation, feature groups and batch groups, in any dimension layout. The same
 * generator serves the forward conv and both gradients (which JAX expresses as convs with
 * other dimension numbers, lhs dilation and batch groups).
 */
import { launchDevice } from "./backend.js"
import { kernelInput, resultOf } from "./transfer.js"
import { kernelSource, unravel } from "./codegen.js"
import { allocStorage, sizeOf, stridesOf } from "./dtype.js"
import { shapeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { checkArray, checkDtype, checkInts, checkSizes, types } from "./shape.js"

/** Parameters of `lax.conv_general_dilated`; dimension numbers are [batch, feature, ...spatial] positions. */
export interface ConvParams {
  readonly windowStrides: ReadonlyArray<number>
  readonly padding: ReadonlyArray<readonly [number, number]>
  readonly lhsDilation: ReadonlyArray<number>
  readonly rhsDilation: ReadonlyArray<number>
  readonly featureGroupCount: number
  readonly batchGroupCount: number
  readonly dimensionNumbers: {
    readonly lhs: ReadonlyArray<number>
    readonly rhs: ReadonlyArray<number>
    readonly out: ReadonlyArray<number>
  }
}

/** Size of a dimension of `n` elements dilated by `d` (0 stays 0). */
export const dilateDim = (n: number, d: number): number => (n === 0 ? 0 : (n - 1) * d + 1)

/** Number of window positions: XLA's StridedBound(padded, window, stride). */
export const stridedBound = (padded: number, window: number, stride: number): number =>
  padded < window ? 0 : Math.floor((padded - window) / stride) + 1

/** Output shape of conv_general_dilated (in the `out` dimension numbers' layout). */
export const convShape = (lhs: HostArray, rhs: HostArray, p: ConvParams): number[] => {
  const { lhs: ld, rhs: rd, out: od } = p.dimensionNumbers
  const out = new Array<number>(lhs.shape.length).fill(0)
  out[od[0]!] = lhs.shape[ld[0]!]! / p.batchGroupCount
  out[od[1]!] = rhs.shape[rd[0]!]!
  for (let j = 0; j < ld.length - 2; j++) {
    const padded = dilateDim(lhs.shape[ld[j + 2]!]!, p.lhsDilation[j]!) + p.padding[j]![0] + p.padding[j]![1]
    out[od[j + 2]!] = stridedBound(padded, dilateDim(rhs.shape[rd[j + 2]!]!, p.rhsDilation[j]!), p.windowStrides[j]!)
  }
  return out
}

const isPerm = (v: unknown, r: number): boolean =>
  Array.isArray(v) && v.length === r && [...v].sort((a, b) => a - b).every((x, k) => x === k)

/** Validates a conv call and returns the output shape. */
export const validateConv = (lhs: HostArray, rhs: HostArray, p: ConvParams): number[] => {
  checkArray("conv", lhs, "lhs")
  checkArray("conv", rhs, "rhs")
  const all = [lhs, rhs]
  const t = types(...all)
  const fail = (what: string, fix: string): never => {
    throw shapeError("conv", t, what, fix)
  }
  checkDtype("conv", lhs, ["float32"], all)
  checkDtype("conv", rhs, ["float32"], all)
  const r = lhs.shape.length
  if (r < 2 || rhs.shape.length !== r) fail(`lhs rank ${r} and rhs rank ${rhs.shape.length} must be equal and at least 2`, "pass [batch, feature, ...spatial]-style operands of one rank")
  const dn = p?.dimensionNumbers
  for (const name of ["lhs", "rhs", "out"] as const) {
    if (!isPerm(dn?.[name], r)) fail(`dimensionNumbers.${name} ${JSON.stringify(dn?.[name])} is not a permutation of 0..${r - 1}`, "give [batch, feature, ...spatial] positions for lhs/out and [outFeature, inFeature, ...spatial] for rhs")
  }
  const ns = r - 2
  checkInts("conv", "windowStrides", p.windowStrides, ns, all, 1)
  checkInts("conv", "lhsDilation", p.lhsDilation, ns, all, 1)
  checkInts("conv", "rhsDilation", p.rhsDilation, ns, all, 1)
  if (!Array.isArray(p.padding) || p.padding.length !== ns || !p.padding.every((q) => Array.isArray(q) && q.length === 2 && q.every(Number.isInteger))) {
    fail(`padding ${JSON.stringify(p.padding)} must be ${ns} integer [lo, hi] pairs`, "pass one [lo, hi] pair per spatial dim")
  }
  const G = p.featureGroupCount
  const B = p.batchGroupCount
  if (!Number.isInteger(G) || G < 1 || !Number.isInteger(B) || B < 1) fail(`featureGroupCount ${G} and batchGroupCount ${B} must be integers >= 1`, "pass positive group counts")
  if (G > 1 && B > 1) fail(`featureGroupCount ${G} and batchGroupCount ${B} are both > 1`, "use at most one kind of grouping (XLA's rule)")
  const n = lhs.shape[dn.lhs[0]!]!
  const c = lhs.shape[dn.lhs[1]!]!
  const o = rhs.shape[dn.rhs[0]!]!
  const i = rhs.shape[dn.rhs[1]!]!
  if (c !== i * G) fail(`lhs has ${c} features but rhs expects ${i} per group × ${G} groups`, "make lhs features = rhs input features × featureGroupCount")
  if (o % G !== 0) fail(`rhs output features ${o} are not divisible by featureGroupCount ${G}`, "use an output feature count that is a multiple of the group count")
  if (o % B !== 0) fail(`rhs output features ${o} are not divisible by batchGroupCount ${B}`, "use an output feature count that is a multiple of batchGroupCount")
  if (n % B !== 0) fail(`lhs batch ${n} is not divisible by batchGroupCount ${B}`, "use a batch that is a multiple of batchGroupCount")
  for (let j = 0; j < ns; j++) {
    const padded = dilateDim(lhs.shape[dn.lhs[j + 2]!]!, p.lhsDilation[j]!) + p.padding[j]![0] + p.padding[j]![1]
    if (padded < 0) fail(`spatial dim ${j}: padding [${p.padding[j]!.join(",")}] crops more than the (dilated) input has`, "crop less")
  }
  const out = convShape(lhs, rhs, p)
  checkSizes("conv", lhs, rhs, { dtype: "float32", shape: out })
  return out
}

/**
 * The sizes and strides every conv implementation starts from: dimension numbers, operand strides,
 * the group counts, output features O, input features per group I, and the batch N.
 */
export const convSizes = (lhsShape: ReadonlyArray<number>, rhsShape: ReadonlyArray<number>, p: ConvParams) => {
  const { lhs: ld, rhs: rd, out: od } = p.dimensionNumbers
  return {
    ld,
    rd,
    od,
    ls: stridesOf(lhsShape),
    rs: stridesOf(rhsShape),
    G: p.featureGroupCount,
    B: p.batchGroupCount,
    O: rhsShape[rd[0]!]!,
    I: rhsShape[rd[1]!]!,
    N: lhsShape[ld[0]!]!
  }
}

const convSource = (lhsShape: ReadonlyArray<number>, rhsShape: ReadonlyArray<number>, p: ConvParams, outShape: ReadonlyArray<number>): string => {
  const { ld, rd, od, ls, rs, G, B, O, I, N } = convSizes(lhsShape, rhsShape, p)
  const un = unravel(outShape, "i", "c")
  const n = un.coords[od[0]!]!
  const o = un.coords[od[1]!]!
  const lines = [...un.lines]
  const lbTerms = [`${n} * ${ls[ld[0]!]}`]
  if (G > 1) {
    lines.push(`const g = Math.floor(${o} / ${O / G});`)
    lbTerms.push(`g * ${I * ls[ld[1]!]!}`)
  }
  if (B > 1) {
    lines.push(`const bg = Math.floor(${o} / ${O / B});`)
    lbTerms.push(`bg * ${(N / B) * ls[ld[0]!]!}`)
  }
  lines.push(`const lb = ${lbTerms.join(" + ")};`, `const rb = ${o} * ${rs[rd[0]!]};`, `let acc = 0.0;`)
  const ns = lhsShape.length - 2
  const lIdx: string[] = ["lb"]
  const rIdx: string[] = ["rb"]
  const open: string[] = []
  let close = 0
  for (let j = 0; j < ns; j++) {
    const X = lhsShape[ld[j + 2]!]!
    const K = rhsShape[rd[j + 2]!]!
    const S = p.windowStrides[j]!
    const RD = p.rhsDilation[j]!
    const LD = p.lhsDilation[j]!
    const LO = p.padding[j]![0]
    const y = un.coords[od[j + 2]!]!
    const Y = outShape[od[j + 2]!]!
    lines.push(`const y${j} = ${y} * ${S} - ${LO};`)
    open.push((K === 1 ? `{ const k${j} = 0;` : `for (let k${j} = 0; k${j} < ${K}; k${j}++) {`))
    close++
    open.push((`const p${j} = y${j} + k${j} * ${RD};`))
    const alwaysValid = LD === 1 && LO <= 0 && (Y - 1) * S + (K - 1) * RD - LO < X
    if (LD > 1) open.push((`const q${j} = Math.floor(p${j} / ${LD});`))
    const q = LD > 1 ? `q${j}` : `p${j}`
    if (!alwaysValid) {
      const conds = [`p${j} >= 0`, `${q} < ${X}`, ...(LD > 1 ? [`q${j} * ${LD} == p${j}`] : [])]
      open.push((`if (${conds.join(" && ")}) {`))
      close++
    }
    lIdx.push(`${q} * ${ls[ld[j + 2]!]}`)
    rIdx.push(`k${j} * ${rs[rd[j + 2]!]}`)
  }
  const term = (ci: string): string => `a0[${[...lIdx, `${ci} * ${ls[ld[1]!]}`].join(" + ")}] * a1[${[...rIdx, `${ci} * ${rs[rd[1]!]}`].join(" + ")}]`
  const inner = I === 1 ? [(`acc = acc + ${term("0")};`)] : [(`for (let ci = 0; ci < ${I}; ci++) { acc = acc + ${term("ci")}; }`)]
  const closing = Array.from({ length: close }, () => "}")
  return kernelSource(2, 0, [...lines, ...open, ...inner, ...closing, "return acc;"])
}

/** Everything a compiled convolution depends on (operand shapes and every parameter), as a cache-key part. */
export const convSignature = (lhsShape: ReadonlyArray<number>, rhsShape: ReadonlyArray<number>, p: ConvParams): string => {
  const dn = p.dimensionNumbers
  return [
    lhsShape.join(","),
    rhsShape.join(","),
    p.windowStrides.join(","),
    p.padding.map((q) => q.join(":")).join(","),
    p.lhsDilation.join(","),
    p.rhsDilation.join(","),
    p.featureGroupCount,
    p.batchGroupCount,
    dn.lhs.join(","),
    dn.rhs.join(","),
    dn.out.join(",")
  ].join("|")
}

/** gpu.js implementation of `conv` (inputs validated). */
export const gpujsConv = (lhs: HostArray, rhs: HostArray, p: ConvParams): HostArray => {
  const outShape = convShape(lhs, rhs, p)
  const n = sizeOf(outShape)
  if (n === 0) return result("float32", outShape, allocStorage("float32", 0))
  const key = `conv|${convSignature(lhs.shape, rhs.shape, p)}`
  const out = launchDevice({ key, size: n, arrays: 2, source: () => convSource(lhs.shape, rhs.shape, p, outShape) }, [kernelInput(lhs), kernelInput(rhs)])
  return resultOf("conv", "float32", outShape, out)
}
