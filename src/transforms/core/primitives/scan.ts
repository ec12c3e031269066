/**
 * scan: a loop carrying state, stacking per-iteration outputs. Holds its body as a closed jaxpr
 * with inputs `[consts, carry, x]` and outputs `[carry, y]`.
 *
 * JVP splits the body by partial evaluation into a primal scan that also stacks the residuals and
 * a tangent scan that reads them, so the tangent scan is linear and transposes to a reverse scan.
 */
import { ShapedArray } from "../aval.js"
import { TransformArgumentError, shapeError } from "../errors.js"
import { ClosedJaxpr, evalClosed, evalJaxpr, traceToJaxpr } from "../jaxpr.js"
import { partialEvalJaxpr } from "../partialEval.js"
import type { BatchDim, PrimitiveDef, Tangent } from "../primitive.js"
import { UndefPrimal } from "../primitive.js"
import { Tensor } from "../Tensor.js"
import { bind } from "../trace.js"
import { jvpFlat } from "../jvp.js"
import { batchJaxpr } from "../batching.js"
import { backwardPass } from "../transpose.js"
import * as lax from "../lax.js"
import { instantiate, isUndef, moveBatchToFront } from "./families.js"

export interface ScanParams {
  readonly jaxpr: ClosedJaxpr
  readonly numConsts: number
  readonly numCarry: number
  readonly length: number
  readonly reverse: boolean
}

const sliceAt = (x: Tensor, i: number): Tensor =>
  lax.reshape(lax.slice(x, [i, ...x.shape.slice(1).map(() => 0)], [i + 1, ...x.shape.slice(1)]), x.shape.slice(1))

const stackAvals = (a: ShapedArray, n: number) => new ShapedArray([n, ...a.shape], a.dtype)

const split = <A>(xs: ReadonlyArray<A>, ...sizes: number[]): A[][] => {
  const out: A[][] = []
  let k = 0
  for (const s of sizes) {
    out.push(xs.slice(k, k + s))
    k += s
  }
  out.push(xs.slice(k))
  return out
}

export const scan: PrimitiveDef<ScanParams> = {
  name: "scan",
  impl: (args, p) => {
    const [consts, init, xs] = split(args as ReadonlyArray<Tensor>, p.numConsts, p.numCarry)
    let carry: Tensor[] = init!
    const ysPerIter: Tensor[][] = new Array(p.length)
    for (let k = 0; k < p.length; k++) {
      const i = p.reverse ? p.length - 1 - k : k
      const outs = evalClosed(p.jaxpr, [...consts!, ...carry, ...xs!.map((x) => sliceAt(x, i))])
      carry = outs.slice(0, p.numCarry)
      ysPerIter[i] = outs.slice(p.numCarry)
    }
    const yAvals = p.jaxpr.outAvals.slice(p.numCarry)
    const ys = yAvals.map((a, j) =>
      p.length === 0 ? lax.full([0, ...a.shape], 0, a.dtype) : lax.concatenate(ysPerIter.map((y) => lax.expandDims(y[j]!, 0)), 0)
    )
    return [...carry, ...ys] as any
  },
  abstractEval: (avals, p) => {
    const [consts, init, xs] = split(avals, p.numConsts, p.numCarry)
    const bodyIn = p.jaxpr.inAvals
    const expectIn = [...consts!, ...init!, ...xs!.map((x) => {
      if (x.ndim === 0 || x.shape[0] !== p.length) throw shapeError("scan", `every xs leaf needs leading dimension ${p.length}, got ${x.toString()}.`)
      return new ShapedArray(x.shape.slice(1), x.dtype)
    })]
    expectIn.forEach((a, i) => {
      if (!a.equals(bodyIn[i]!)) throw shapeError("scan", `operand ${a.toString()} does not match the body's input ${bodyIn[i]!.toString()}.`)
    })
    const outs = p.jaxpr.outAvals
    const carryOut = outs.slice(0, p.numCarry)
    carryOut.forEach((a, i) => {
      if (!a.equals(init![i]!)) {
        throw new TransformArgumentError({
          transform: "jax.lax.scan",
          message: `jax.lax.scan: the body changed its carry's type: carry leaf ${i} goes in as ${init![i]!.toString()} and comes out as ${a.toString()}. The carry must keep its shape and dtype; cast or reshape inside the body.`
        })
      }
    })
    return [...carryOut, ...outs.slice(p.numCarry).map((a) => stackAvals(a, p.length))]
  },
  jvp: (primals, tangents, p) => {
    const n = primals.length
    const nOut = p.jaxpr.outAvals.length
    const inAvals = p.jaxpr.inAvals
    const ts = tangents.map((t, i) => instantiate(t ?? null, primals[i]!))
    // jvp body: [consts, carry, x, constsDot, carryDot, xDot] -> [carry, y, carryDot, yDot]
    const { closed: jvpBody } = traceToJaxpr(
      (...args: Tensor[]) => {
        const [po, to] = jvpFlat((...xs) => evalClosed(p.jaxpr, xs), args.slice(0, n), args.slice(n), "jax.lax.scan")
        return [...po, ...to]
      },
      [...inAvals, ...inAvals],
      "jax.lax.scan (jvp)"
    )
    const pe = partialEvalJaxpr(jvpBody, [...inAvals.map(() => false), ...inAvals.map(() => true)], [...new Array(nOut).fill(false), ...new Array(nOut).fill(true)])
    // primal scan: [consts, carry, x] -> [carry, y, residuals]
    const knownOuts = bind(scan, primals, { ...p, jaxpr: pe.known })
    const [carryOut, ys, res] = split(knownOuts, p.numCarry, nOut - p.numCarry)
    // tangent scan: consts = constsDot, carry = carryDot, xs = [residuals, xDot]
    const nc = p.numConsts
    const nk = p.numCarry
    const resAvals = pe.unknown.invars.slice(0, pe.numResiduals).map((v) => v.aval)
    const { closed: tangentBody } = traceToJaxpr(
      (...args: Tensor[]) => {
        const [cd, kd, r, xd] = split(args, nc, nk, pe.numResiduals)
        return evalJaxpr(pe.unknown, [], [...r!, ...cd!, ...kd!, ...xd!])
      },
      [...inAvals.slice(0, nc), ...inAvals.slice(nc, nc + nk), ...resAvals, ...inAvals.slice(nc + nk)],
      "jax.lax.scan (tangent)"
    )
    const [cd, kd, xd] = split(ts, nc, nk)
    const tangentOuts = bind(scan, [...cd!, ...kd!, ...res!, ...xd!], { ...p, jaxpr: tangentBody, numConsts: nc, numCarry: nk })
    return [[...carryOut!, ...ys!], tangentOuts]
  },
  transpose: (cts, args, p) => {
    const [consts, carry0, xs] = split(args, p.numConsts, p.numCarry)
    // the tangent body is linear in its carry; a known carry (an instantiated zero) is treated as linear
    const carry = carry0!.map((c) => (isUndef(c) ? c : new UndefPrimal((c as Tensor).aval)))
    const constLin = consts!.map(isUndef)
    const xLin = xs!.map(isUndef)
    const knownConsts = consts!.filter((c) => !isUndef(c)) as Tensor[]
    const knownXs = xs!.filter((x) => !isUndef(x)) as Tensor[]
    const linConstAvals = consts!.filter(isUndef).map((c) => (c as UndefPrimal).aval)
    const carryAvals = carry!.map((c) => (c as UndefPrimal).aval)
    const outAvals = p.jaxpr.outAvals
    const yAvals = outAvals.slice(p.numCarry)
    const ctCarry = carryAvals.map((a, i) => instantiate(cts[i] ?? null, a))
    const ctYs = yAvals.map((a, j) => instantiate(cts[p.numCarry + j] ?? null, stackAvals(a, p.length)))
    const body = p.jaxpr
    const nKC = knownConsts.length
    const nCarry = carryAvals.length
    const nLC = linConstAvals.length
    const xAvals = body.inAvals.slice(p.numConsts + p.numCarry)
    const { closed: bodyT } = traceToJaxpr(
      (...a: Tensor[]) => {
        const [kc, ctc, acc, cty, kx] = split(a, nKC, nCarry, nLC, yAvals.length)
        let ki = 0
        const constArgs = constLin.map((lin, i) => (lin ? new UndefPrimal(body.inAvals[i]!) : kc![ki++]!))
        let xi = 0
        const xArgs = xLin.map((lin, i) => (lin ? new UndefPrimal(xAvals[i]!) : kx![xi++]!))
        const carryArgs = carryAvals.map((av) => new UndefPrimal(av))
        const ctIn = backwardPass(body.jaxpr, body.consts, [...constArgs, ...carryArgs, ...xArgs], [...ctc!, ...cty!])
        const [ctConsts, ctCarryIn, ctX] = split(ctIn, p.numConsts, p.numCarry)
        const newCarry = ctCarryIn!.map((c, i) => instantiate(c, carryAvals[i]!))
        const linCts = ctConsts!.filter((_, i) => constLin[i])
        const newAcc = acc!.map((s, i) => (linCts[i] ? lax.add(s, linCts[i]!) : s))
        const xCts = ctX!.map((c, i) => (xLin[i] ? instantiate(c, xAvals[i]!) : null)).filter((c): c is Tensor => c !== null)
        return [...newCarry, ...newAcc, ...xCts]
      },
      [...knownConsts.map((c) => c.aval), ...carryAvals, ...linConstAvals, ...yAvals, ...knownXs.map((x) => new ShapedArray(x.shape.slice(1), x.dtype))],
      "jax.lax.scan (transpose)"
    )
    const outs = bind(
      scan,
      [...knownConsts, ...ctCarry, ...linConstAvals.map((a) => lax.zerosLike(a)), ...ctYs, ...knownXs],
      { jaxpr: bodyT, numConsts: nKC, numCarry: nCarry + nLC, length: p.length, reverse: !p.reverse }
    )
    const [ctCarryInit, ctLinConsts, ctXs] = split(outs, nCarry, nLC)
    let ci = 0
    let xi = 0
    return [
      ...constLin.map((lin) => (lin ? ctLinConsts![ci++]! : null)),
      ...ctCarryInit!,
      ...xLin.map((lin) => (lin ? ctXs![xi++]! : null))
    ] as Tangent[]
  },
  batch: (vals, dims, p, axisSize) => {
    const [cd, kd, xd] = split(dims, p.numConsts, p.numCarry)
    const [cv, kv, xv] = split(vals, p.numConsts, p.numCarry)
    const nOut = p.jaxpr.outAvals.length
    // the carry is batched where its initial value is, or where the body makes it so: a fixpoint
    let carryBatched = kd!.map((d) => d !== null)
    let batched: ReturnType<typeof batchJaxpr>
    for (;;) {
      const inDims: BatchDim[] = [...cd!.map((d) => (d === null ? null : 0)), ...carryBatched.map((b) => (b ? 0 : null)), ...xd!.map((d) => (d === null ? null : 0))]
      batched = batchJaxpr(p.jaxpr, axisSize, inDims, [...carryBatched, ...new Array(nOut - p.numCarry).fill(false)], "jax.lax.scan (vmap)")
      const next = carryBatched.map((b, i) => b || batched.outBatched[i]!)
      if (next.every((b, i) => b === carryBatched[i])) break
      carryBatched = next
    }
    const constVals = cv!.map((v, i) => (cd![i] === null ? v : lax.moveAxis(v, cd![i]!, 0)))
    const carryVals = kv!.map((v, i) => (carryBatched[i] ? moveBatchToFront(v, kd![i]!, axisSize) : v))
    const xsVals = xv!.map((v, i) => (xd![i] === null ? v : lax.moveAxis(v, xd![i]!, 1)))
    const outs = bind(scan, [...constVals, ...carryVals, ...xsVals], { ...p, jaxpr: batched.jaxpr })
    return [outs, outs.map((_, i) => (batched.outBatched[i] ? (i < p.numCarry ? 0 : 1) : null))]
  },
  printParams: (p) => `length=${p.length} num_carry=${p.numCarry} num_consts=${p.numConsts} reverse=${p.reverse ? "True" : "False"}`,
  subJaxprs: (p) => [{ name: "jaxpr", jaxpr: p.jaxpr }]
}

