/**
 * Lowering a closed jaxpr to a kernel-layer `Program` (what `jax.jit` executes):
 *
 * - elementwise equations (unary, binary, select, convert) and index maps (broadcast_in_dim,
 *   transpose, reshape, stop_gradient) are inlined into fused expressions; a value is written
 *   to memory only when it must be (a jaxpr output, read by a non-fused op or a dot, reshaped
 *   across dims, or an expensive value used twice);
 * - written values of one shape share one loop when their inputs allow, so the adam update of a
 *   weight matrix (moments, corrections, the new weight) is one pass;
 * - reductions evaluate their fused producer expression inline (softmax's `exp(x - max)` is never
 *   written);
 * - `dot_general` reads its operands through strided views (a transposed operand in place);
 * - every other primitive is a host step running its ordinary `impl` (gpu.js kernels, control
 *   flow), so nothing is lost when an op has no fused form.
 *
 * Shapes, dtypes and parameters were checked when the jaxpr was traced; none is checked again.
 */
import type { DType } from "../../kernels/dtype.js"
import { sizeOf, stridesOf } from "../../kernels/dtype.js"
import {
  EXPENSIVE,
  type BufferInfo,
  type DotEpilogue,
  type Expr,
  type Program,
  type Step,
  type View,
  fusibleBinary,
  fusibleUnary,
  stepReads,
  stepWrites
} from "../../kernels/fusion.js"
import type { HostArray } from "../../kernels/HostArray.js"
import { hostReshape } from "../../kernels/movement.js"
import type { DotDims } from "../../kernels/dotGeneral.js"
import { canonicalOrder, dotPlan } from "../../kernels/wasm/dot.js"
import { type Atom, type ClosedJaxpr, type JaxprEqn, Lit, Var } from "../core/jaxpr.js"
import { ConcreteTensor } from "../core/Tensor.js"

const UNARY = new Set(["neg", "exp", "log", "log1p", "expm1", "tanh", "logistic", "sqrt", "rsqrt", "abs", "sign", "sin", "cos", "floor", "ceil", "round", "erf", "erf_inv", "not"])
const BINARY = new Set(["add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "and", "or", "xor", "eq", "ne", "lt", "le", "gt", "ge"])
const VIEWS = new Set(["broadcast_in_dim", "transpose", "reshape", "stop_gradient"])
const REDUCE: Record<string, "sum" | "max" | "min"> = { reduce_sum: "sum", reduce_max: "max", reduce_min: "min" }

/** Largest fused expression (nodes) before a value is written instead of inlined again. */
const MAX_TREE = 48

type Kind = "ew" | "view" | "reduce" | "dot" | "host"

/** Per jaxpr dim: the iteration dim it follows (coefficient 1), or null for a constant 0 index. */
type IndexMap = ReadonlyArray<number | null>

/** Where a value lives once computed: a strided view of a buffer. */
interface Loc {
  readonly buffer: number
  readonly strides: ReadonlyArray<number>
  readonly offset: number
}

const kindOf = (e: JaxprEqn): Kind => {
  const name = e.primitive.name
  const in0 = e.inputs[0]?.aval.dtype
  if (UNARY.has(name)) return fusibleUnary(name, in0!) ? "ew" : "host"
  if (BINARY.has(name)) return fusibleBinary(name, in0!) ? "ew" : "host"
  if (name === "select_n" || name === "convert_element_type") return "ew"
  if (VIEWS.has(name)) return "view"
  if (name in REDUCE && in0 === "float32") return "reduce"
  if (name === "dot_general" && in0 === "float32" && e.inputs[1]!.aval.dtype === "float32") return "dot"
  return "host"
}

const same = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): boolean => a.length === b.length && a.every((x, i) => x === b[i])

/** True when a reshape only inserts or removes size-1 dims. */
const unitReshape = (from: ReadonlyArray<number>, to: ReadonlyArray<number>): boolean => same(from.filter((d) => d !== 1), to.filter((d) => d !== 1))

/** The map of a reshape that only moves size-1 dims: each non-unit source dim follows its target dim. */
const unitReshapeMap = (from: ReadonlyArray<number>, to: ReadonlyArray<number>, map: IndexMap): IndexMap => {
  const targets = to.map((d, i) => [d, i] as const).filter(([d]) => d !== 1).map(([, i]) => i)
  let k = 0
  return from.map((d) => (d === 1 ? null : map[targets[k++]!]!))
}

/** Numpy broadcasting: the map of an operand of shape `from` read at positions of shape `to`. */
const broadcastMap = (from: ReadonlyArray<number>, to: ReadonlyArray<number>, map: IndexMap): IndexMap => {
  const off = to.length - from.length
  return from.map((d, j) => (d === 1 ? null : map[j + off]!))
}

/** Strides over the iteration space of a view with `strides` (over the value's dims) read through `map`. */
const compose = (shape: ReadonlyArray<number>, strides: ReadonlyArray<number>, map: IndexMap, rank: number): number[] => {
  const out = new Array<number>(rank).fill(0)
  map.forEach((s, d) => {
    if (s !== null && shape[d] !== 1) out[s]! += strides[d]!
  })
  return out
}

/** A reshape that moves elements across dims: its operand is read as a contiguous buffer. */
const generalReshape = (e: JaxprEqn): boolean =>
  e.primitive.name === "reshape" && !unitReshape(e.inputs[0]!.aval.shape, e.outBinders[0]!.aval.shape)

const identity = (rank: number): IndexMap => Array.from({ length: rank }, (_, i) => i)
const isIdentity = (m: IndexMap): boolean => m.every((s, i) => s === i)

/** A fused loop being assembled: roots (written values) of one shape. */
interface Group {
  readonly shape: ReadonlyArray<number>
  readonly roots: Var[]
}

/** A loop group or a fixed step, with the buffers it reads. */
type Node = { kind: "group"; group: Group; reads: Set<number> } | { kind: "step"; step: Step; reads: Set<number> }

/** Lowers `closed` to a program whose inputs are the jaxpr's invars, in order. */
export const lowerJaxpr = (closed: ClosedJaxpr): Program => {
  const { jaxpr } = closed
  // dead code: every primitive is pure, so an equation none of whose outputs is used goes
  const live = new Set<Var>(jaxpr.outs.filter((a): a is Var => a instanceof Var))
  const keep: JaxprEqn[] = []
  for (let k = jaxpr.eqns.length - 1; k >= 0; k--) {
    const e = jaxpr.eqns[k]!
    if (!e.outBinders.some((v) => live.has(v))) continue
    keep.push(e)
    for (const a of e.inputs) if (a instanceof Var) live.add(a)
  }
  const eqns = keep.reverse()
  const producer = new Map<Var, number>()
  const consumers = new Map<Var, number[]>()
  eqns.forEach((e, k) => {
    e.outBinders.forEach((v) => producer.set(v, k))
    for (const a of e.inputs) if (a instanceof Var) consumers.set(a, [...(consumers.get(a) ?? []), k])
  })
  const outputs = new Set(jaxpr.outs.filter((a): a is Var => a instanceof Var))
  const kinds = eqns.map(kindOf)

  const buffers: BufferInfo[] = []
  const constants: Array<{ buffer: number; value: HostArray }> = []
  const locs = new Map<Var, Loc>()
  const newBuffer = (dtype: DType, shape: ReadonlyArray<number>): number => {
    buffers.push({ dtype, shape: [...shape] })
    return buffers.length - 1
  }
  const contiguous = (buffer: number, shape: ReadonlyArray<number>): Loc => ({ buffer, strides: stridesOf(shape), offset: 0 })
  const place = (v: Var): Loc => {
    const loc = contiguous(newBuffer(v.aval.dtype, v.aval.shape), v.aval.shape)
    locs.set(v, loc)
    return loc
  }

  const inputs = jaxpr.invars.map((v) => place(v).buffer)
  jaxpr.constvars.forEach((v, i) => {
    const value = closed.consts[i]
    if (!(value instanceof ConcreteTensor)) throw new Error("internal: a jitted jaxpr closes over a tracer")
    constants.push({ buffer: place(v).buffer, value: value.host })
  })
  const litBuffer = (l: Lit): number => {
    const b = newBuffer(l.val.dtype, l.val.shape)
    constants.push({ buffer: b, value: l.val.host })
    return b
  }

  // ---- which fused values are written to memory
  const materialized = new Set<Var>()
  const expensive = new Map<Var, boolean>()
  const treeSize = new Map<Var, number>()
  const inlineInfo = (a: Atom): { expensive: boolean; size: number } =>
    a instanceof Var && !materialized.has(a) && producer.has(a) && kinds[producer.get(a)!] !== "host" && kinds[producer.get(a)!] !== "reduce" && kinds[producer.get(a)!] !== "dot"
      ? { expensive: expensive.get(a) ?? false, size: treeSize.get(a) ?? 1 }
      : { expensive: false, size: 1 }
  /** True when `v` reads as a strided view of a buffer (index maps only, down to a written value). */
  const viewOfBuffer = (v: Var): boolean => {
    if (materialized.has(v) || !producer.has(v)) return true
    const k = producer.get(v)!
    const e = eqns[k]!
    if (kinds[k] === "reduce" || kinds[k] === "dot" || kinds[k] === "host") return true
    if (kinds[k] !== "view" || generalReshape(e)) return false
    const src = e.inputs[0]!
    return src instanceof Var && viewOfBuffer(src)
  }
  eqns.forEach((e, k) => {
    const kind = kinds[k]!
    if (kind !== "ew" && kind !== "view") return
    const v = e.outBinders[0]!
    const ins = e.inputs.map(inlineInfo)
    const exp = EXPENSIVE.has(e.primitive.name) || ins.some((i) => i.expensive)
    const size = 1 + ins.reduce((s, i) => s + i.size, 0)
    expensive.set(v, exp)
    treeSize.set(v, size)
    const uses = consumers.get(v) ?? []
    const mustWrite =
      outputs.has(v) ||
      size > MAX_TREE ||
      uses.some((c) => {
        const ck = kinds[c]!
        const ce = eqns[c]!
        if (ck === "host") return true
        if (ck === "dot") return !viewOfBuffer(v)
        if (ce.primitive.name === "reshape" && !unitReshape(v.aval.shape, ce.outBinders[0]!.aval.shape)) return true
        return exp && ce.outBinders[0]!.aval.size > v.aval.size
      }) ||
      (exp && new Set(uses).size > 1)
    if (mustWrite) materialized.add(v)
  })

  // ---- steps in program order: loop groups (movable) and fixed steps
  const nodes: Node[] = []
  const writtenBy = new Map<number, Node>()
  const nodeIndex = (n: Node): number => nodes.indexOf(n)
  const groupOf = new Map<Var, Group>()

  /** Buffer vars a value's fused tree reads, with the map (over the value's dims) they are read through. */
  const deps = (v: Var, map: IndexMap, acc: Array<{ v: Var; map: IndexMap }>): Array<{ v: Var; map: IndexMap }> => {
    if (locs.has(v) || materialized.has(v)) {
      acc.push({ v, map })
      return acc
    }
    const e = eqns[producer.get(v)!]!
    if (generalReshape(e)) {
      acc.push({ v: e.inputs[0] as Var, map: [null] })
      return acc
    }
    childMaps(e, map).forEach(([a, m]) => {
      if (a instanceof Var) deps(a, m, acc)
    })
    return acc
  }

  /** The inputs of a fused equation with the maps they are read through, given the output's map. */
  const childMaps = (e: JaxprEqn, map: IndexMap): Array<[Atom, IndexMap]> => {
    const out = e.outBinders[0]!.aval.shape
    const name = e.primitive.name
    if (name === "broadcast_in_dim") {
      const x = e.inputs[0]!
      const bd: number[] = e.params.broadcastDimensions
      return [[x, x.aval.shape.map((d, j) => (d === 1 ? null : map[bd[j]!]!))]]
    }
    if (name === "transpose") {
      const perm: number[] = e.params.perm
      const m = new Array<number | null>(perm.length)
      perm.forEach((p, d) => (m[p] = map[d]!))
      return [[e.inputs[0]!, m]]
    }
    if (name === "reshape") return [[e.inputs[0]!, unitReshapeMap(e.inputs[0]!.aval.shape, out, map)]]
    return e.inputs.map((a) => [a, broadcastMap(a.aval.shape, out, map)])
  }

  /** Expressions of one fused step: leaves are deduplicated views. */
  class Builder {
    readonly leaves: Array<View & { dtype: DType }> = []
    private readonly leafKeys = new Map<string, number>()
    private readonly memo = new Map<string, Expr>()
    constructor(
      readonly rank: number,
      readonly group: Group | null
    ) {}

    leaf(loc: Loc, shape: ReadonlyArray<number>, dtype: DType, map: IndexMap): Expr {
      const strides = compose(shape, loc.strides, map, this.rank)
      const key = `${loc.buffer}|${loc.offset}|${strides.join(",")}`
      let index = this.leafKeys.get(key)
      if (index === undefined) {
        index = this.leaves.length
        this.leaves.push({ buffer: loc.buffer, strides, offset: loc.offset, dtype })
        this.leafKeys.set(key, index)
      }
      return { kind: "leaf", index, dtype }
    }

    of(a: Atom, map: IndexMap): Expr {
      if (a instanceof Lit) return { kind: "const", value: Number(a.val.host.data[0]), dtype: a.val.dtype }
      const v = a
      const key = `${varId(v)}:${map.join(",")}`
      const hit = this.memo.get(key)
      if (hit !== undefined) return hit
      let out: Expr
      const inGroup = this.group !== null && groupOf.get(v) === this.group && isIdentity(map) && map.length === this.rank
      const loc = locs.get(v)
      const e = producer.has(v) ? eqns[producer.get(v)!]! : null
      if (loc !== undefined && !inGroup) out = this.leaf(loc, v.aval.shape, v.aval.dtype, map)
      else if (e !== null && generalReshape(e)) {
        // the operand is written contiguously: read its buffer with this shape's strides
        const src = locs.get(e.inputs[0] as Var)
        if (src === undefined) throw new Error("internal: the operand of a reshape was not written")
        out = this.leaf({ buffer: src.buffer, strides: stridesOf(v.aval.shape), offset: src.offset }, v.aval.shape, v.aval.dtype, map)
      } else out = this.compute(e!, map)
      this.memo.set(key, out)
      return out
    }

    private compute(e: JaxprEqn, map: IndexMap): Expr {
      const name = e.primitive.name
      const dtype = e.outBinders[0]!.aval.dtype
      const kids = childMaps(e, map).map(([a, m]) => this.of(a, m))
      if (VIEWS.has(name)) return kids[0]!
      if (name === "select_n") return { kind: "select", pred: kids[0]!, f: kids[1]!, t: kids[2]!, dtype }
      if (name === "convert_element_type") return { kind: "convert", x: kids[0]!, dtype }
      if (UNARY.has(name)) return { kind: "unary", op: name as never, x: kids[0]!, dtype }
      return { kind: "binary", op: name as never, a: kids[0]!, b: kids[1]!, dtype }
    }
  }

  const ids = new Map<Var, number>()
  const varId = (v: Var): number => {
    let id = ids.get(v)
    if (id === undefined) ids.set(v, (id = ids.size))
    return id
  }

  const bufferOf = (v: Var): number => locs.get(v)!.buffer

  const addNode = (step: Step): Node => {
    const node: Node = { kind: "step", step, reads: new Set(stepReads(step)) }
    nodes.push(node)
    for (const b of stepWrites(step)) writtenBy.set(b, node)
    return node
  }

  const readsGroup = (n: Node, g: Group): boolean => g.roots.some((r) => n.reads.has(bufferOf(r)))

  const admit = (v: Var): void => {
    const shape = v.aval.shape
    // what v's own equation reads (v itself is already placed)
    const e = eqns[producer.get(v)!]!
    const found: Array<{ v: Var; map: IndexMap }> = []
    if (generalReshape(e)) found.push({ v: e.inputs[0] as Var, map: [null] })
    else for (const [a, m] of childMaps(e, identity(shape.length))) if (a instanceof Var) deps(a, m, found)
    for (let k = nodes.length - 1; k >= 0; k--) {
      const n = nodes[k]!
      if (n.kind !== "group" || !same(n.group.shape, shape)) continue
      const g = n.group
      if (found.some((d) => groupOf.get(d.v) === g && !isIdentity(d.map))) continue
      const pos = k
      const available = found.every((d) => {
        if (groupOf.get(d.v) === g) return true
        const w = writtenBy.get(bufferOf(d.v))
        return w === undefined || nodeIndex(w) < pos
      })
      if (!available) {
        // delay the group to here when nothing after it reads what it writes
        if (nodes.slice(pos + 1).some((m) => readsGroup(m, g))) continue
        nodes.splice(pos, 1)
        nodes.push(n)
      }
      g.roots.push(v)
      groupOf.set(v, g)
      writtenBy.set(bufferOf(v), n)
      for (const d of found) if (groupOf.get(d.v) !== g) n.reads.add(bufferOf(d.v))
      return
    }
    const g: Group = { shape, roots: [v] }
    const node: Node = { kind: "group", group: g, reads: new Set(found.map((d) => bufferOf(d.v))) }
    nodes.push(node)
    groupOf.set(v, g)
    writtenBy.set(bufferOf(v), node)
  }

  /** A buffer holding `a` contiguously (materialised vars, inputs, constants, literals). */
  const wholeBuffer = (a: Atom): number => (a instanceof Lit ? litBuffer(a) : bufferOf(a))

  const lowerDot = (a: Atom, bb: Atom, dimsIn: DotDims, out: Var): void => {
      const view = (a: Atom): View => {
        if (a instanceof Lit) return { buffer: litBuffer(a), strides: stridesOf(a.aval.shape), offset: 0 }
        const b = new Builder(a.aval.ndim, null)
        const x = b.of(a, identity(a.aval.ndim))
        if (x.kind !== "leaf") throw new Error("internal: a dot operand was not written")
        return b.leaves[x.index]!
      }
      let va = view(a)
      let vb = view(bb)
      let aShape = a.aval.shape
      let bShape = bb.aval.shape
      let dims: DotDims = dimsIn
      if (dotPlan(aShape, bShape, dims, va.strides, vb.strides) === null) {
        // free or contracting dims that do not merge: copy both operands into canonical order
        const c = canonicalOrder(aShape.length, bShape.length, dims)
        const copy = (v: View, shape: ReadonlyArray<number>, perm: ReadonlyArray<number>, dtype: DType): { view: View; shape: number[] } => {
          const permuted = perm.map((d) => shape[d]!)
          const buffer = newBuffer(dtype, permuted)
          addNode({ kind: "loop", shape: permuted, leaves: [{ buffer: v.buffer, strides: perm.map((d) => v.strides[d]!), offset: v.offset }], outs: [{ buffer, expr: { kind: "leaf", index: 0, dtype } }] })
          return { view: { buffer, strides: stridesOf(permuted), offset: 0 }, shape: permuted }
        }
        const ca = copy(va, aShape, c.aPerm, a.aval.dtype)
        const cb = copy(vb, bShape, c.bPerm, bb.aval.dtype)
        va = ca.view
        vb = cb.view
        aShape = ca.shape
        bShape = cb.shape
        dims = c.dims
      }
      addNode({ kind: "dot", a: va, aShape, b: vb, bShape, dims, out: place(out).buffer })
  }

  // a dot whose only use is a written transpose exchanging its free dims: one GEMM with the
  // operands swapped writes the transposed result directly
  const swapped = new Map<number, JaxprEqn>()
  eqns.forEach((e, k) => {
    if (kinds[k] !== "dot") return
    const uses = consumers.get(e.outBinders[0]!) ?? []
    if (uses.length !== 1) return
    const t = eqns[uses[0]!]!
    if (t.primitive.name !== "transpose" || !materialized.has(t.outBinders[0]!) || outputs.has(e.outBinders[0]!)) return
    const d: DotDims = e.params.dims
    const nb = d.lhsBatch.length
    const nl = e.inputs[0]!.aval.ndim - nb - d.lhsContracting.length
    const nr = e.inputs[1]!.aval.ndim - nb - d.rhsContracting.length
    const want = [...Array.from({ length: nb }, (_, i) => i), ...Array.from({ length: nr }, (_, i) => nb + nl + i), ...Array.from({ length: nl }, (_, i) => nb + i)]
    if (same(t.params.perm, want)) swapped.set(uses[0]!, e)
  })
  const swappedDots = new Set(swapped.values())

  eqns.forEach((e, k) => {
    const kind = kinds[k]!
    const out = e.outBinders[0]!
    if (swapped.has(k)) {
      const d = swapped.get(k)!
      const dims: DotDims = d.params.dims
      lowerDot(d.inputs[1]!, d.inputs[0]!, { lhsContracting: dims.rhsContracting, rhsContracting: dims.lhsContracting, lhsBatch: dims.rhsBatch, rhsBatch: dims.lhsBatch }, out)
      return
    }
    if (swappedDots.has(e)) return
    if (kind === "ew" || kind === "view") {
      if (!materialized.has(out)) return
      // a reshape of a contiguous value is the same buffer under another shape
      if (e.primitive.name === "reshape" || e.primitive.name === "stop_gradient") {
        const src = e.inputs[0]!
        const loc = src instanceof Var ? locs.get(src) : undefined
        if (loc !== undefined && loc.offset === 0 && same(loc.strides, stridesOf(src.aval.shape))) {
          locs.set(out, contiguous(loc.buffer, out.aval.shape))
          return
        }
      }
      place(out)
      admit(out)
      return
    }
    if (kind === "reduce") {
      const x = e.inputs[0]!
      const b = new Builder(x.aval.ndim, null)
      const expr = b.of(x, identity(x.aval.ndim))
      const axes = (e.params.axes as number[]).map((a) => (a < 0 ? a + x.aval.ndim : a)).sort((p, q) => p - q)
      addNode({ kind: "reduce", op: REDUCE[e.primitive.name]!, shape: x.aval.shape, axes, leaves: b.leaves, expr, out: place(out).buffer })
      return
    }
    if (kind === "dot") {
      lowerDot(e.inputs[0]!, e.inputs[1]!, e.params.dims, out)
      return
    }
    // host: the primitive's own impl on whole buffers
    const ins = e.inputs.map(wholeBuffer)
    const inShapes = e.inputs.map((a) => a.aval.shape)
    const prim = e.primitive
    const params = e.params
    const outBuffers = e.outBinders.map((v) => place(v).buffer)
    addNode({
      kind: "host",
      name: prim.name,
      inputs: ins,
      outputs: outBuffers,
      run: (xs) =>
        prim
          .impl(xs.map((x, i) => new ConcreteTensor(same(x.shape, inShapes[i]!) ? x : hostReshape(x, inShapes[i]!))), params)
          .map((t) => t.host)
    })
  })

  // ---- groups become loop steps
  const steps: Step[] = nodes.map((n) => {
    if (n.kind === "step") return n.step
    const g = n.group
    const b = new Builder(g.shape.length, g)
    const outs = g.roots.map((r) => ({ buffer: bufferOf(r), expr: b.of(r, identity(g.shape.length)) }))
    return { kind: "loop", shape: g.shape, leaves: b.leaves, outs }
  })

  const outBuffers = jaxpr.outs.map((a) => (a instanceof Lit ? litBuffer(a) : bufferOf(a)))
  return { buffers, inputs, constants, steps: fuseEpilogues(steps, outBuffers, buffers), outputs: outBuffers, outputShapes: jaxpr.outs.map((a) => a.aval.shape) }
}

/** The leaves an expression reads. */
const leavesOf = (e: Expr, acc: Set<number> = new Set()): Set<number> => {
  switch (e.kind) {
    case "leaf":
      acc.add(e.index)
      break
    case "const":
      break
    case "unary":
    case "convert":
      leavesOf(e.x, acc)
      break
    case "binary":
      leavesOf(e.a, acc)
      leavesOf(e.b, acc)
      break
    case "select":
      leavesOf(e.pred, acc)
      leavesOf(e.t, acc)
      leavesOf(e.f, acc)
  }
  return acc
}

/** `e` with leaf indices renumbered by `map`. */
const renumber = (e: Expr, map: ReadonlyMap<number, number>): Expr => {
  switch (e.kind) {
    case "leaf":
      return { ...e, index: map.get(e.index)! }
    case "const":
      return e
    case "unary":
    case "convert":
      return { ...e, x: renumber(e.x, map) }
    case "binary":
      return { ...e, a: renumber(e.a, map), b: renumber(e.b, map) }
    case "select":
      return { ...e, pred: renumber(e.pred, map), t: renumber(e.t, map), f: renumber(e.f, map) }
  }
}

/**
 * Folds `max(d · scale + bias, 0)` (each part optional) into the dot producing `d` when that fused
 * output is the dot's only reader: the GEMM applies it while storing its last K block, so the dot's
 * result is never written and read back. The arithmetic and its order are the loop's.
 */
const fuseEpilogues = (steps: Step[], outputs: ReadonlyArray<number>, buffers: ReadonlyArray<BufferInfo>): Step[] => {
  const out = [...steps]
  for (let t = 0; t < out.length; t++) {
    const d = out[t]!
    if (d.kind !== "dot" || d.epilogue !== undefined || outputs.includes(d.out)) continue
    const K = d.dims.lhsContracting.reduce((n, ax) => n * d.aShape[ax]!, 1)
    if (K === 0) continue
    const readers = out.map((s, k) => [s, k] as const).filter(([s]) => stepReads(s).includes(d.out))
    if (readers.length !== 1) continue
    const [loop, li] = readers[0]!
    if (loop.kind !== "loop") continue
    const outShape = dotOutShape(d)
    const dLeaves = loop.leaves.map((l, j) => [l, j] as const).filter(([l]) => l.buffer === d.out)
    if (dLeaves.length !== 1 || !same(loop.shape, outShape)) continue
    const [dl, dj] = dLeaves[0]!
    if (dl.offset !== 0 || !same(dl.strides, stridesOf(outShape))) continue
    const users = loop.outs.filter((o) => leavesOf(o.expr).has(dj))
    if (users.length !== 1) continue
    const target = users[0]!
    const nr = d.bShape.length - d.dims.rhsBatch.length - d.dims.rhsContracting.length
    const nShape = outShape.slice(outShape.length - nr)
    const epi = matchEpilogue(target.expr, dj, (j) => {
      const l = loop.leaves[j]!
      const want = [...new Array<number>(outShape.length - nr).fill(0), ...stridesOf(nShape)]
      return buffers[l.buffer]!.dtype === "float32" && same(l.strides, want) ? { buffer: l.buffer, offset: l.offset } : null
    })
    if (epi === null) continue
    out[t] = { ...d, out: target.buffer, epilogue: epi }
    // the loop keeps its other outputs, and the leaves they read
    const rest = loop.outs.filter((o) => o !== target)
    if (rest.length === 0) {
      out.splice(li, 1)
      if (li < t) t--
      continue
    }
    const used = [...new Set(rest.flatMap((o) => [...leavesOf(o.expr)]))].sort((a, b) => a - b)
    const map = new Map(used.map((j, k) => [j, k]))
    out[li] = { ...loop, leaves: used.map((j) => loop.leaves[j]!), outs: rest.map((o) => ({ buffer: o.buffer, expr: renumber(o.expr, map) })) }
  }
  return out
}

const dotOutShape = (d: Extract<Step, { kind: "dot" }>): number[] => {
  const free = (rank: number, used: ReadonlyArray<number>): number[] => Array.from({ length: rank }, (_, i) => i).filter((i) => !used.includes(i))
  return [
    ...d.dims.lhsBatch.map((ax) => d.aShape[ax]!),
    ...free(d.aShape.length, [...d.dims.lhsBatch, ...d.dims.lhsContracting]).map((ax) => d.aShape[ax]!),
    ...free(d.bShape.length, [...d.dims.rhsBatch, ...d.dims.rhsContracting]).map((ax) => d.bShape[ax]!)
  ]
}

/** Matches `max(add(mul(D, c), bias), 0)` with each layer optional (operands of add/mul/max in either order). */
const matchEpilogue = (e: Expr, dj: number, biasLeaf: (j: number) => { buffer: number; offset: number } | null): DotEpilogue | null => {
  const isZero = (x: Expr): boolean => x.kind === "const" && x.value === 0 && x.dtype === "float32"
  let cur = e
  let relu = false
  if (cur.kind === "binary" && cur.op === "max") {
    if (isZero(cur.b)) cur = cur.a
    else if (isZero(cur.a)) cur = cur.b
    else return null
    relu = true
  }
  let bias: { buffer: number; offset: number } | undefined
  if (cur.kind === "binary" && cur.op === "add") {
    const [x, y] = cur.b.kind === "leaf" && cur.b.index !== dj ? [cur.a, cur.b] : [cur.b, cur.a]
    if (y.kind !== "leaf" || y.index === dj) return null
    const b = biasLeaf(y.index)
    if (b === null) return null
    bias = b
    cur = x
  }
  let scale: number | undefined
  if (cur.kind === "binary" && cur.op === "mul") {
    const [x, c] = cur.b.kind === "const" ? [cur.a, cur.b] : [cur.b, cur.a]
    if (c.kind !== "const" || c.dtype !== "float32") return null
    scale = c.value
    cur = x
  }
  if (cur.kind !== "leaf" || cur.index !== dj) return null
  if (!relu && bias === undefined && scale === undefined) return null
  return { relu, ...(bias ? { bias } : {}), ...(scale !== undefined ? { scale } : {}) }
}
