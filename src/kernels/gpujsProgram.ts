/**
 * Runs a compiled `Program` on gpu.js (`webasm`, `cpu`, and the GL/WebGPU modes in a browser):
 * each output of a fused loop is one generated gpu.js kernel that reads its inputs through their
 * strided views and evaluates the whole expression, inlining the same kernel bodies the
 * one-op kernels use (`elementwiseBodies.ts`), so a fused result equals the unfused one.
 *
 * Nodes gpu.js cannot compute exactly in float32 (integer arithmetic, integer comparisons, which
 * the one-op kernels do on 16-bit planes) run as their one-op kernels between fused kernels.
 * A fused reduction writes its expression with one fused kernel and reduces it with the reduce
 * kernel; a dot reads contiguous operands (a strided view is first copied by a fused kernel).
 */
import { type KernelInput, currentMode, launch, launchDevice } from "./backend.js"
import { type DeviceTexture, collectingDeviceArrays, lengthOf } from "./device.js"
import { coalesce, flit as lit, kernelSource, linear, unravel } from "./codegen.js"
import { type DType, sizeOf, stridesOf } from "./dtype.js"
import { BINARY_BODIES, UNARY_BODIES } from "./elementwiseBodies.js"
import type { Expr, Program, Step, View } from "./fusion.js"
import { showExpr } from "./fusion.js"
import { type HostArray, result } from "./HostArray.js"
import { hostReshape } from "./movement.js"
import { dispatch } from "./registry.js"
import { joinPlanes, kernelInput, planes, resultOf, toStorage, values } from "./transfer.js"

/** A program compiled for gpu.js. */
export interface GpujsExecutable {
  run(inputs: ReadonlyArray<HostArray>): HostArray[]
}

const FLOATISH = (d: DType): boolean => d === "float32" || d === "bool"

/** True when gpu.js computes `e` (not its operands) exactly in float32 with the one-op kernel's semantics. */
const fusible = (e: Expr): boolean => {
  switch (e.kind) {
    case "leaf":
    case "const":
      return true
    case "unary":
      return e.op === "not" ? e.x.dtype === "bool" : e.x.dtype === "float32"
    case "binary":
      if (e.op === "and" || e.op === "or" || e.op === "xor") return e.a.dtype === "bool"
      return FLOATISH(e.a.dtype) && e.a.dtype === e.b.dtype && (e.a.dtype === "float32" || e.dtype === "bool")
    case "select":
      return FLOATISH(e.dtype)
    case "convert":
      return FLOATISH(e.dtype)
  }
}

/**
 * Kernel body text of one fused node: declared locals renamed apart, the value in `e${id}`,
 * rounded to float32 when `round` (gpu.js's `cpu` mode computes in float64 and rounds only on
 * store, so an unrounded intermediate would differ from the same value computed by another
 * kernel: `eq(x, min(x))` in a fused max/min gradient found no tie and divided by zero).
 */
const inline = (lines: ReadonlyArray<string>, id: number, round: boolean): string[] => {
  const declared = new Set<string>()
  for (const l of lines) for (const m of l.matchAll(/\b(?:const|let)\s+([A-Za-z_]\w*)/g)) declared.add(m[1]!)
  const renamed = lines.map((l) => l.replace(/\b[A-Za-z_]\w*\b/g, (w) => (declared.has(w) ? `${w}_${id}` : w)))
  const last = renamed.pop()!
  const m = /^return (.*);$/.exec(last)
  if (m === null || renamed.some((l) => /\breturn\b/.test(l))) throw new Error(`internal: a kernel body does not end in its only return: ${last}`)
  return [...renamed, round ? `const e${id} = Math.fround(${m[1]});` : `const e${id} = ${m[1]};`]
}

/** An input of a fused kernel: a host array read with strides over the iteration shape. */
interface KernelLeaf {
  readonly data: KernelInput
  readonly strides: ReadonlyArray<number>
  readonly offset: number
}

/**
 * The source of a fused kernel evaluating `root` over `leaves` at every index of `shape`; with
 * `round`, every node's value is rounded to float32 as an unfused kernel's stored result is.
 */
const fusedSource = (shape: ReadonlyArray<number>, leaves: ReadonlyArray<KernelLeaf>, root: Expr, round: boolean): string => {
  const merged = coalesce(shape, leaves.map((l) => [...l.strides]))
  const un = unravel(merged.shape, "i", "c")
  const lines: string[] = leaves.length > 0 ? [...un.lines] : []
  leaves.forEach((l, j) => lines.push(`const v${j} = a${j}[${linear(un.coords, merged.views[j]!, l.offset)}];`))
  const ids = new Map<Expr, string>()
  let next = 0
  const emit = (e: Expr): string => {
    const known = ids.get(e)
    if (known !== undefined) return known
    let name: string
    switch (e.kind) {
      case "leaf":
        name = `v${e.index}`
        break
      case "const":
        name = e.dtype === "bool" ? (e.value ? "1.0" : "0.0") : lit(e.value)
        break
      case "unary": {
        const x = emit(e.x)
        const id = next++
        lines.push(...inline(UNARY_BODIES[e.op]([x]), id, round))
        name = `e${id}`
        break
      }
      case "binary": {
        const a = emit(e.a)
        const b = emit(e.b)
        const id = next++
        lines.push(...inline(BINARY_BODIES[e.op]([a, b]), id, round))
        name = `e${id}`
        break
      }
      case "select": {
        const p = emit(e.pred)
        const t = emit(e.t)
        const f = emit(e.f)
        const id = next++
        lines.push(`const e${id} = ${p} != 0.0 ? ${t} : ${f};`)
        name = `e${id}`
        break
      }
      case "convert": {
        const x = emit(e.x)
        const id = next++
        lines.push(e.dtype === "bool" ? `const e${id} = ${x} != 0.0 ? 1.0 : 0.0;` : `const e${id} = ${x};`)
        name = `e${id}`
        break
      }
    }
    ids.set(e, name)
    return name
  }
  const out = emit(root)
  lines.push(`return ${out};`)
  return kernelSource(leaves.length, 0, lines)
}

/** gpu.js's `cpu` mode runs kernels as JavaScript, in float64: fused intermediates must be rounded. */
const roundsIntermediates = (): boolean => currentMode() === "cpu"

const fusedSpec = (shape: ReadonlyArray<number>, leaves: ReadonlyArray<KernelLeaf>, root: Expr, round = roundsIntermediates()) => ({
  key: `fused${round ? "|fround" : ""}|${shape.join(",")}|${leaves.map((l) => `${l.strides.join(",")}@${l.offset}`).join(";")}|${showExpr(root)}`,
  size: sizeOf(shape),
  arrays: leaves.length,
  source: () => fusedSource(shape, leaves, root, round)
})

/** Runs one fused kernel: `root` over `leaves` at every index of `shape` (on the device in the GL modes). */
const runFused = (shape: ReadonlyArray<number>, leaves: ReadonlyArray<KernelLeaf>, root: Expr): Float32Array | DeviceTexture =>
  sizeOf(shape) === 0 ? new Float32Array(0) : launchDevice(fusedSpec(shape, leaves, root), leaves.map((l) => l.data))

/** `runFused` with the values on the host. */
const runFusedHost = (shape: ReadonlyArray<number>, leaves: ReadonlyArray<KernelLeaf>, root: Expr): Float32Array =>
  sizeOf(shape) === 0 ? new Float32Array(0) : launch(fusedSpec(shape, leaves, root), leaves.map((l) => l.data))

/** Where a fused kernel's input comes from: a leaf view of the step, or a node computed apart. */
type FusedSource = { readonly kind: "view"; readonly leaf: number } | { readonly kind: "node"; readonly node: Expr }

/** A fused kernel planned once: its expression over numbered inputs, their sources, its spec. */
interface FusedPlan {
  readonly sources: ReadonlyArray<FusedSource>
  readonly spec: ReturnType<typeof fusedSpec>
  readonly round: boolean
}

/** Plans the kernel of `top`: fusible nodes inline, other nodes and leaf views as inputs. */
const planFused = (shape: ReadonlyArray<number>, leafViews: ReadonlyArray<{ view: View; dtype: DType }>, top: Expr): FusedPlan => {
  const sources: FusedSource[] = []
  const leaves: Array<{ strides: ReadonlyArray<number>; offset: number }> = []
  const viewIndex = new Map<number, number>()
  const nodeIndex = new Map<Expr, number>()
  const input = (src: FusedSource, strides: ReadonlyArray<number>, offset: number, dtype: DType): Expr => {
    const seen = src.kind === "view" ? viewIndex.get(src.leaf) : nodeIndex.get(src.node)
    let j = seen
    if (j === undefined) {
      j = sources.length
      sources.push(src)
      leaves.push({ strides, offset })
      if (src.kind === "view") viewIndex.set(src.leaf, j)
      else nodeIndex.set(src.node, j)
    }
    return { kind: "leaf", index: j, dtype }
  }
  const cut = new Map<Expr, Expr>()
  const rebuild = (e: Expr): Expr => {
    const seen = cut.get(e)
    if (seen !== undefined) return seen
    let r: Expr
    if (e.kind === "const") r = e
    else if (e.kind === "leaf") {
      const lv = leafViews[e.index]!
      r = input({ kind: "view", leaf: e.index }, lv.view.strides, lv.view.offset, e.dtype)
    } else if (e !== top && !fusible(e)) r = input({ kind: "node", node: e }, stridesOf(shape), 0, e.dtype)
    else if (e.kind === "unary") r = { ...e, x: rebuild(e.x) }
    else if (e.kind === "binary") r = { ...e, a: rebuild(e.a), b: rebuild(e.b) }
    else if (e.kind === "select") r = { ...e, pred: rebuild(e.pred), t: rebuild(e.t), f: rebuild(e.f) }
    else r = { ...e, x: rebuild(e.x) }
    cut.set(e, r)
    return r
  }
  const expr = rebuild(top)
  // the spec's source only needs the views, not the data
  const shapeLeaves = leaves.map((l) => ({ data: new Float32Array(0), strides: l.strides, offset: l.offset }))
  const round = roundsIntermediates()
  return { sources, spec: fusedSpec(shape, shapeLeaves, expr, round), round }
}

/** Compiles `p` for gpu.js (kernels are generated and cached on first run). */
export const compileGpujs = (p: Program): GpujsExecutable => {
  // on the GL backends every intermediate texture is released as soon as the program returns
  const fusedPlans = new WeakMap<Expr, FusedPlan>()
  const run = (inputs: ReadonlyArray<HostArray>): HostArray[] => {
    const [outs, created] = collectingDeviceArrays(() => runProgram(inputs))
    const keep = new Set<HostArray>([...inputs, ...p.constants.map((c) => c.value), ...outs])
    for (const d of created) if (!keep.has(d)) d.release()
    return outs
  }

  const runProgram = (inputs: ReadonlyArray<HostArray>): HostArray[] => {
    const host = new Array<HostArray | undefined>(p.buffers.length)
    p.inputs.forEach((b, i) => (host[b] = inputs[i]!))
    for (const c of p.constants) host[c.buffer] = c.value
    const buf = (b: number): HostArray => host[b]!

    /** A leaf view as a host array of `shape`: the buffer itself when the view is its contiguous layout, else a copy. */
    const viewArray = (v: View, dtype: DType, shape: ReadonlyArray<number>): HostArray => {
      const x = buf(v.buffer)
      if (v.offset === 0 && sizeOf(shape) === lengthOf(x) && sameList(v.strides, stridesOf(shape))) return sameList(x.shape, shape) ? x : hostReshape(x, shape)
      const leaf: Expr = { kind: "leaf", index: 0, dtype: "float32" }
      if (dtype === "int32" || dtype === "uint32") {
        // integers move exactly as two 16-bit planes, as the one-op kernels move them
        const [hi, lo] = planes(x.data)
        const copy = (data: Float32Array): Float32Array => runFusedHost(shape, [{ data, strides: v.strides, offset: v.offset }], leaf)
        return result(dtype, shape, joinPlanes(dtype, copy(hi), copy(lo)))
      }
      return resultOf("fused", dtype, shape, runFused(shape, [{ data: kernelInput(x), strides: v.strides, offset: v.offset }], leaf))
    }

    /** Evaluates `root` over `shape`: fused kernels for float subtrees, one-op kernels for the rest. */
    const evalFused = (shape: ReadonlyArray<number>, leafViews: ReadonlyArray<{ view: View; dtype: DType }>, root: Expr): HostArray => {
      const memo = new Map<Expr, HostArray>()
      const materialize = (e: Expr): HostArray => {
        let h = memo.get(e)
        if (h !== undefined) return h
        if (e.kind === "const") h = dispatch("full", e.dtype, shape, e.value)
        else if (e.kind === "leaf") h = viewArray(leafViews[e.index]!.view, e.dtype, shape)
        else if (fusible(e)) h = fusedKernel(e)
        else if (e.kind === "unary") h = dispatch("unary", e.op, materialize(e.x))
        else if (e.kind === "binary") h = dispatch("binary", e.op, materialize(e.a), materialize(e.b))
        else if (e.kind === "select") h = dispatch("select", materialize(e.pred), materialize(e.t), materialize(e.f))
        else h = dispatch("convert", materialize(e.x), e.dtype)
        memo.set(e, h)
        return h
      }
      // one kernel for a fusible node: its fusible subtree, every other node a materialised input;
      // planned once per expression (the program's expressions are fixed objects)
      const fusedKernel = (top: Expr): HostArray => {
        let plan = fusedPlans.get(top)
        // a plan's source depends on the mode (see roundsIntermediates): plan again after setBackend
        if (plan === undefined || plan.round !== roundsIntermediates()) {
          plan = planFused(shape, leafViews, top)
          fusedPlans.set(top, plan)
        }
        const data = plan.sources.map((src) =>
          src.kind === "view" ? kernelInput(buf(leafViews[src.leaf]!.view.buffer)) : kernelInput(materialize(src.node))
        )
        const out = sizeOf(shape) === 0 ? new Float32Array(0) : launchDevice(plan.spec, data)
        return resultOf("fused", top.dtype, shape, out)
      }
      return materialize(root)
    }

    for (const s of p.steps) runStep(s)

    function runStep(s: Step): void {
      switch (s.kind) {
        case "loop": {
          const leafViews = s.leaves.map((view) => ({ view, dtype: p.buffers[view.buffer]!.dtype }))
          for (const o of s.outs) host[o.buffer] = evalFused(s.shape, leafViews, o.expr)
          return
        }
        case "reduce": {
          const leafViews = s.leaves.map((view) => ({ view, dtype: p.buffers[view.buffer]!.dtype }))
          const x = evalFused(s.shape, leafViews, s.expr)
          host[s.out] = dispatch("reduce", s.op, x, s.axes)
          return
        }
        case "dot": {
          const a = viewArray(s.a, p.buffers[s.a.buffer]!.dtype, s.aShape)
          const b = viewArray(s.b, p.buffers[s.b.buffer]!.dtype, s.bShape)
          let d = dispatch("dotGeneral", a, b, s.dims)
          // the epilogue as the fused loop computed it: · scale, + bias (over the trailing dims), max(·, 0)
          const e = s.epilogue
          if (e !== undefined) {
            if (e.scale !== undefined) d = dispatch("binary", "mul", d, dispatch("full", "float32", [], e.scale))
            if (e.bias !== undefined) {
              const nr = s.bShape.length - s.dims.rhsBatch.length - s.dims.rhsContracting.length
              const nShape = d.shape.slice(d.shape.length - nr)
              d = dispatch("binary", "add", d, viewArray({ buffer: e.bias.buffer, strides: stridesOf(nShape), offset: e.bias.offset }, "float32", nShape))
            }
            if (e.relu) d = dispatch("binary", "max", d, dispatch("full", "float32", [], 0))
          }
          host[s.out] = d
          return
        }
        case "host": {
          const outs = s.run(s.inputs.map(buf))
          s.outputs.forEach((b, k) => (host[b] = outs[k]!))
          return
        }
      }
    }

    return p.outputs.map((b, k) => {
      const h = buf(b)
      const shape = p.outputShapes[k]!
      return sameList(h.shape, shape) ? h : hostReshape(h, shape)
    })
  }
  return { run }
}

const sameList = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => a.length === b.length && a.every((x, i) => x === b[i])
