/**
 * The elementwise family: unary, binary (numpy broadcasting read in-kernel through strides,
 * never materialised), select and convert. One source generator serves them all.
 */
import { type KernelInput, launch, launchDevice } from "./backend.js"
import type { DeviceTexture } from "./device.js"
import { coalesce, kernelSource, linear, unravel } from "./codegen.js"
import { type DType, allocStorage, sizeOf, stridesOf } from "./dtype.js"
import { BINARY_BODIES, INT_BINARY_BODIES, UNARY_BODIES, planeCompare, shiftBody } from "./elementwiseBodies.js"
import { shapeError } from "./errors.js"
import { type HostArray, result } from "./HostArray.js"
import { broadcastShapes, broadcastStrides, checkArray, checkDtype, checkSizes, types } from "./shape.js"
import { checkIntInputs, intBound, joinPlanes, kernelInput, planes, resultOf, saturate, toStorage, values } from "./transfer.js"

/** Unary elementwise ops (lax names). */
export type UnaryOp = keyof typeof UNARY_BODIES
/** Binary elementwise ops (lax names). */
export type BinaryOp = keyof typeof BINARY_BODIES | "shift_left" | "shift_right_logical"

/** Every unary op name. */
export const UNARY_OPS = Object.keys(UNARY_BODIES) as UnaryOp[]
/** Every binary op name. */
export const BINARY_OPS = [...Object.keys(BINARY_BODIES), "shift_left", "shift_right_logical"] as BinaryOp[]

const COMPARISONS = new Set<BinaryOp>(["eq", "ne", "lt", "le", "gt", "ge"])
const LOGICAL = new Set<BinaryOp>(["and", "or", "xor"])
const FLOAT_UNARY = new Set<UnaryOp>(["exp", "log", "log1p", "expm1", "tanh", "logistic", "sqrt", "rsqrt", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "floor", "ceil", "round", "erf", "erf_inv"])
const INTS: ReadonlyArray<DType> = ["int32", "uint32"]

type Body = (v: ReadonlyArray<string>) => string[]

/** An operand as the kernel reads it: float32 values (or a device texture) viewed with `shape` (broadcast to the output). */
interface Operand {
  readonly shape: ReadonlyArray<number>
  readonly data: KernelInput
}

const same = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => a.length === b.length && a.every((x, k) => x === b[k])

/** Generates the source of a broadcasting elementwise kernel: loads `v0..` then runs `body`. */
export const elementwiseSource = (outShape: ReadonlyArray<number>, shapes: ReadonlyArray<ReadonlyArray<number>>, scalars: number, body: Body): string => {
  const merged = coalesce(outShape, shapes.map((s) => broadcastStrides(s, outShape)))
  const contiguous = stridesOf(merged.shape)
  const un = unravel(merged.shape, "i", "c")
  const exprs = merged.views.map((v) => (same(v, contiguous) ? "i" : linear(un.coords, v)))
  const lines = exprs.some((e) => e !== "i" && e !== "0") ? [...un.lines] : []
  const named = new Map<string, string>()
  exprs.forEach((e) => {
    if (e === "i" || e === "0" || named.has(e)) return
    named.set(e, `ix${named.size}`)
    lines.push(`const ix${named.size - 1} = ${e};`)
  })
  const names = exprs.map((e, j) => {
    lines.push(`const v${j} = a${j}[${named.get(e) ?? e}];`)
    return `v${j}`
  })
  return kernelSource(shapes.length, scalars, [...lines, ...body(names)])
}

const specOf = (family: string, outShape: ReadonlyArray<number>, operands: ReadonlyArray<Operand>, body: Body, scalars: ReadonlyArray<number>) => {
  const shapes = operands.map((o) => o.shape)
  return {
    key: `ew:${family}|${outShape.join(",")}|${shapes.map((s) => s.join(",")).join(";")}`,
    size: sizeOf(outShape),
    arrays: operands.length,
    scalars: scalars.length,
    source: () => elementwiseSource(outShape, shapes, scalars.length, body)
  }
}

/** One elementwise kernel whose result may stay on the device (resident GL modes). */
const runDevice = (family: string, outShape: ReadonlyArray<number>, operands: ReadonlyArray<Operand>, body: Body, scalars: ReadonlyArray<number> = []): Float32Array | DeviceTexture =>
  launchDevice(specOf(family, outShape, operands, body, scalars), operands.map((o) => o.data), scalars)

const run = (family: string, outShape: ReadonlyArray<number>, operands: ReadonlyArray<Operand>, body: Body, scalars: ReadonlyArray<number> = []): Float32Array => {
  const shapes = operands.map((o) => o.shape)
  return launch(
    {
      key: `ew:${family}|${outShape.join(",")}|${shapes.map((s) => s.join(",")).join(";")}`,
      size: sizeOf(outShape),
      arrays: operands.length,
      scalars: scalars.length,
      source: () => elementwiseSource(outShape, shapes, scalars.length, body)
    },
    operands.map((o) => o.data),
    scalars
  )
}

const valueOperand = (x: HostArray): Operand => ({ shape: x.shape, data: kernelInput(x) })

/** Runs a plane-wise body twice (hi planes, then lo planes) and recombines exact int32/uint32 storage. */
const runPlanewise = (family: string, dtype: DType, outShape: ReadonlyArray<number>, xs: ReadonlyArray<HostArray | Operand>, body: Body): HostArray => {
  const split = xs.map((x) => ("dtype" in x && (x.dtype === "int32" || x.dtype === "uint32") ? planes(x.data) : null))
  const pick = (p: 0 | 1): Operand[] => xs.map((x, j) => ({ shape: x.shape, data: split[j]?.[p] ?? ("dtype" in x ? values(x) : x.data) }))
  const hi = run(family, outShape, pick(0), body)
  const lo = run(family, outShape, pick(1), body)
  return result(dtype, outShape, joinPlanes(dtype, hi, lo))
}

/** Runs a body over both planes of every int operand at once, selecting the output plane with `s0`. */
const runPlaneSelect = (family: string, dtype: DType, outShape: ReadonlyArray<number>, xs: ReadonlyArray<HostArray>, body: Body): HostArray => {
  const ops = xs.flatMap((x) => planes(x.data).map((data) => ({ shape: x.shape, data })))
  const hi = run(family, outShape, ops, body, [0])
  const lo = run(family, outShape, ops, body, [1])
  return result(dtype, outShape, joinPlanes(dtype, hi, lo))
}

const empty = (dtype: DType, shape: ReadonlyArray<number>): HostArray => result(dtype, shape, allocStorage(dtype, 0))

/** Validates a unary call. */
export const validateUnary = (op: UnaryOp, x: HostArray): void => {
  checkArray(op, x)
  if (!Object.hasOwn(UNARY_BODIES, op)) {
    throw shapeError("unary", types(x), `unknown unary op ${JSON.stringify(op)}`, `use one of ${UNARY_OPS.join(", ")}`)
  }
  if (FLOAT_UNARY.has(op)) checkDtype(op, x, ["float32"], [x])
  else if (op === "not") checkDtype(op, x, ["bool", "int32", "uint32"], [x], "not applies to bool and integer operands")
  else checkDtype(op, x, ["float32", "int32", "uint32"], [x], `${op} applies to numbers; convert bool with convert(x, "int32") first`)
  checkSizes(op, x)
}

/** gpu.js implementation of `unary` (inputs validated). */
export const gpujsUnary = (op: UnaryOp, x: HostArray): HostArray => {
  if (sizeOf(x.shape) === 0) return empty(x.dtype, x.shape)
  if (op === "not" && x.dtype !== "bool") return runPlanewise("not16", x.dtype, x.shape, [x], ([v]) => [`return 65535.0 - ${v};`])
  let bound: number | undefined
  if (x.dtype === "int32" || x.dtype === "uint32") {
    checkIntInputs(op, x)
    bound = unaryIntBound(op, x)
  }
  return resultOf(op, x.dtype, x.shape, runDevice(`u:${op}`, x.shape, [valueOperand(x)], UNARY_BODIES[op]), bound)
}

/** Validates a binary call and returns the broadcast output shape. */
export const validateBinary = (op: BinaryOp, a: HostArray, b: HostArray): number[] => {
  checkArray(op, a, "lhs")
  checkArray(op, b, "rhs")
  if (!BINARY_OPS.includes(op)) {
    throw shapeError("binary", types(a, b), `unknown binary op ${JSON.stringify(op)}`, `use one of ${BINARY_OPS.join(", ")}`)
  }
  if (a.dtype !== b.dtype) {
    throw shapeError(op, types(a, b), `operand dtypes differ (${a.dtype} vs ${b.dtype})`, "promote both operands to one dtype with convert before calling the kernel")
  }
  if (op === "shift_left" || op === "shift_right_logical") checkDtype(op, a, INTS, [a, b], "shifts apply to int32/uint32 operands")
  else if (LOGICAL.has(op)) checkDtype(op, a, ["bool", "int32", "uint32"], [a, b], `${op} applies to bool and integer operands`)
  else if (op === "atan2") checkDtype(op, a, ["float32"], [a, b])
  else if (!COMPARISONS.has(op) && op !== "max" && op !== "min") {
    checkDtype(op, a, ["float32", "int32", "uint32"], [a, b], `${op} applies to numbers; convert bool operands with convert(x, "int32") first`)
  }
  const out = broadcastShapes(op, [a, b])
  checkSizes(op, a, b, { dtype: a.dtype, shape: out })
  return out
}

/** gpu.js implementation of `binary` (inputs validated). */
export const gpujsBinary = (op: BinaryOp, a: HostArray, b: HostArray): HostArray => {
  const out = broadcastShapes(op, [a, b])
  const outDtype: DType = COMPARISONS.has(op) ? "bool" : a.dtype
  if (sizeOf(out) === 0) return empty(outDtype, out)
  const isInt = a.dtype === "int32" || a.dtype === "uint32"
  if (isInt) {
    const signed = a.dtype === "int32"
    if (COMPARISONS.has(op)) {
      const rel = op as "eq" | "ne" | "lt" | "le" | "gt" | "ge"
      const ops = [a, b].flatMap((x) => planes(x.data).map((data) => ({ shape: x.shape, data })))
      const r = runDevice(`cmp16:${rel}:${signed}`, out, ops, (v) => {
        const c = planeCompare(signed, v)
        return [...c.lines, `return ${c.cond[rel]} ? 1.0 : 0.0;`]
      })
      return resultOf(op, "bool", out, r)
    }
    if (LOGICAL.has(op)) {
      const sym = op === "and" ? "&" : op === "or" ? "|" : "^"
      return runPlanewise(`bit16:${op}`, a.dtype, out, [a, b], ([x, y]) => [`return ${x} ${sym} ${y};`])
    }
    if (op === "shift_left" || op === "shift_right_logical") {
      return runPlaneSelect(`shift16:${op}`, a.dtype, out, [a, b], (v) => shiftBody(op, v))
    }
    if (op === "max" || op === "min") {
      return runPlaneSelect(`minmax16:${op}:${signed}`, a.dtype, out, [a, b], (v) => {
        const c = planeCompare(signed, v)
        const takeA = op === "max" ? c.cond.ge : c.cond.le
        return [...c.lines, `const ta = ${takeA};`, `return s0 < 0.5 ? (ta ? ${v[0]} : ${v[2]}) : (ta ? ${v[1]} : ${v[3]});`]
      })
    }
    checkIntInputs(op, a, b)
  }
  const body = (isInt ? INT_BINARY_BODIES[op as keyof typeof INT_BINARY_BODIES] : undefined) ?? BINARY_BODIES[op as keyof typeof BINARY_BODIES]
  const bound = isInt ? binaryIntBound(op, a, b) : undefined
  return resultOf(op, outDtype, out, runDevice(`b:${op}:${isInt ? "int" : "val"}`, out, [valueOperand(a), valueOperand(b)], body), bound)
}

/**
 * A bound on |result| of int arithmetic from its operands' bounds, where one is easy to prove:
 * then a GPU result below 2^24 stays on the device (see `resultOf`). Undefined for the other ops
 * (their results are checked on the host) and for uint32 subtraction, which wraps.
 */
const binaryIntBound = (op: BinaryOp, a: HostArray, b: HostArray): number | undefined => {
  const signed = a.dtype === "int32"
  if (op === "add" || (op === "sub" && signed)) return intBound(a) + intBound(b)
  if (op === "mul") return intBound(a) * intBound(b)
  return undefined
}

const unaryIntBound = (op: UnaryOp, x: HostArray): number | undefined => {
  if (x.dtype !== "int32") return undefined
  if (op === "neg" || op === "abs") return intBound(x)
  if (op === "sign") return 1
  return undefined
}

/** Validates a select call and returns the broadcast output shape. */
export const validateSelect = (pred: HostArray, onTrue: HostArray, onFalse: HostArray): number[] => {
  checkArray("select", pred, "pred")
  checkArray("select", onTrue, "onTrue")
  checkArray("select", onFalse, "onFalse")
  const all = [pred, onTrue, onFalse]
  checkDtype("select", pred, ["bool"], all, 'pass a bool predicate (e.g. from binary("ne", x, zeros))')
  if (onTrue.dtype !== onFalse.dtype) {
    throw shapeError("select", types(...all), `branch dtypes differ (${onTrue.dtype} vs ${onFalse.dtype})`, "convert both branches to one dtype first")
  }
  const out = broadcastShapes("select", all)
  checkSizes("select", ...all, { dtype: onTrue.dtype, shape: out })
  return out
}

/** gpu.js implementation of `select` (inputs validated). Int branches move as exact 16-bit planes. */
export const gpujsSelect = (pred: HostArray, onTrue: HostArray, onFalse: HostArray): HostArray => {
  const out = broadcastShapes("select", [pred, onTrue, onFalse])
  const dtype = onTrue.dtype
  if (sizeOf(out) === 0) return empty(dtype, out)
  const body: Body = ([p, t, f]) => [`return ${p} != 0.0 ? ${t} : ${f};`]
  if (dtype === "int32" || dtype === "uint32") return runPlanewise("select16", dtype, out, [valueOperand(pred), onTrue, onFalse], body)
  return resultOf("select", dtype, out, runDevice("select", out, [valueOperand(pred), valueOperand(onTrue), valueOperand(onFalse)], body))
}

/** Validates a convert call. */
export const validateConvert = (x: HostArray, dtype: DType): void => {
  checkArray("convert", x)
  if (!["float32", "int32", "uint32", "bool"].includes(dtype)) {
    throw shapeError("convert", types(x), `unknown target dtype ${JSON.stringify(dtype)}`, "use float32, int32, uint32 or bool")
  }
  checkSizes("convert", x)
}

/**
 * gpu.js implementation of `convert` (inputs validated). float->int truncates toward zero and
 * saturates (NaN -> 0); ->bool is x != 0; int32<->uint32 keeps the bits (wraps mod 2^32).
 */
export const gpujsConvert = (x: HostArray, dtype: DType): HostArray => {
  if (dtype === x.dtype) return x
  const n = sizeOf(x.shape)
  if (n === 0) return empty(dtype, x.shape)
  if ((dtype === "int32" || dtype === "uint32") && (x.dtype === "int32" || x.dtype === "uint32")) {
    // same 32 bits: typed-array assignment wraps mod 2^32 exactly (no arithmetic involved)
    const r = allocStorage(dtype, n)
    r.set(x.data)
    return result(dtype, x.shape, r)
  }
  const operand = [valueOperand(x)]
  if (dtype === "bool") return resultOf("convert", dtype, x.shape, runDevice("to_bool", x.shape, operand, ([v]) => [`return ${v} != 0.0 ? 1.0 : 0.0;`]))
  if (x.dtype === "float32" && dtype !== "float32") {
    const r = run("trunc", x.shape, operand, ([v]) => [`return ${v} < 0.0 ? Math.ceil(${v}) : Math.floor(${v});`])
    return result(dtype, x.shape, saturate(dtype, r))
  }
  // int/bool -> float (the host's float32 rounding is the conversion), bool -> int (0 or 1)
  return resultOf("convert", dtype, x.shape, runDevice("copy", x.shape, operand, ([v]) => [`return ${v};`]), x.dtype === "bool" ? 1 : undefined)
}

