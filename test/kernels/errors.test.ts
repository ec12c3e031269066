import { describe, expect, it } from "vitest"
import {
  type HostArray,
  binary,
  broadcastInDim,
  concatenate,
  conv,
  convert,
  dotGeneral,
  full,
  gather,
  hostArray,
  iota,
  kernelLaunches,
  pad,
  reduce,
  reduceWindow,
  reshape,
  scatterAdd,
  select,
  selectAndScatterAdd,
  slice,
  threefry2x32,
  transpose,
  unary
} from "../../src/kernels/index.js"

const f = (shape: number[]): HostArray => hostArray("float32", shape, new Float32Array(shape.reduce((a, b) => a * b, 1)))
const i32 = (shape: number[], v?: number[]): HostArray => hostArray("int32", shape, v ? Int32Array.from(v) : new Int32Array(shape.reduce((a, b) => a * b, 1)))
const u32 = (shape: number[]): HostArray => hostArray("uint32", shape, new Uint32Array(shape.reduce((a, b) => a * b, 1)))
const b8 = (shape: number[]): HostArray => hostArray("bool", shape, new Uint8Array(shape.reduce((a, b) => a * b, 1)))
const NHWC = { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] }
const convP = { windowStrides: [1, 1], padding: [[0, 0], [0, 0]] as Array<[number, number]>, lhsDilation: [1, 1], rhsDilation: [1, 1], featureGroupCount: 1, batchGroupCount: 1, dimensionNumbers: NHWC }

/** [description, call, tag, substrings the message must contain] */
const CASES: Array<[string, () => unknown, string, string[]]> = [
  ["hostArray with the wrong storage class", () => hostArray("int32", [2], new Float32Array(2) as never), "KernelShapeError", ["Int32Array", "Float32Array"]],
  ["hostArray whose data length does not match the shape", () => hostArray("float32", [2, 3], new Float32Array(5)), "KernelShapeError", ["f32[2,3]", "5 elements", "6"]],
  ["unary exp on int32", () => unary("exp", i32([2])), "KernelShapeError", ["exp", "i32[2]", "float32", "Fix:"]],
  ["unary with an unknown op", () => unary("gelu" as never, f([2])), "KernelShapeError", ["gelu"]],
  ["binary on mismatched shapes", () => binary("add", f([2, 3]), f([4])), "KernelShapeError", ["add", "f32[2,3]", "f32[4]", "broadcast"]],
  ["binary on mismatched dtypes", () => binary("add", f([2]), i32([2])), "KernelShapeError", ["float32", "int32", "promote"]],
  ["shift on float32", () => binary("shift_left", f([2]), f([2])), "KernelShapeError", ["shift_left", "int32"]],
  ["int32 add leaving ±2^24", () => binary("add", i32([1], [16777000]), i32([1], [1000])), "IntegerRangeError", ["add", "int32", "2^24", "Fix:"]],
  ["int32 operand beyond ±2^24", () => binary("mul", i32([1], [1 << 30]), i32([1], [1])), "IntegerRangeError", ["mul", "1073741824"]],
  ["select with a float predicate", () => select(f([2]), f([2]), f([2])), "KernelShapeError", ["select", "bool"]],
  ["select with branches of different dtypes", () => select(b8([2]), f([2]), i32([2])), "KernelShapeError", ["branch dtypes differ"]],
  ["convert to an unknown dtype", () => convert(f([2]), "float64" as never), "KernelShapeError", ["float64"]],
  ["reduce over an axis out of range", () => reduce("sum", f([2, 3]), [2]), "KernelShapeError", ["axis 2", "rank 2", "f32[2,3]"]],
  ["reduce over a repeated axis", () => reduce("max", f([2, 3]), [1, 1]), "KernelShapeError", ["repeat"]],
  ["argmax over two axes", () => reduce("argmax", f([2, 3]), [0, 1]), "KernelShapeError", ["exactly one axis"]],
  ["argmax over an empty axis", () => reduce("argmax", f([2, 0]), [1]), "KernelShapeError", ["size 0"]],
  ["sum over bool", () => reduce("sum", b8([2]), [0]), "KernelShapeError", ["bool", "int32"]],
  ["dotGeneral with mismatched contracting sizes", () => dotGeneral(f([2, 3]), f([4, 5]), { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }), "KernelShapeError", ["contracting", "3", "4"]],
  ["dotGeneral with an axis out of range", () => dotGeneral(f([2, 3]), f([3, 5]), { lhsContracting: [2], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }), "KernelShapeError", ["lhsContracting", "rank 2"]],
  ["dotGeneral with an axis both batch and contracting", () => dotGeneral(f([3, 3]), f([3, 3]), { lhsContracting: [0], rhsContracting: [0], lhsBatch: [0], rhsBatch: [1] }), "KernelShapeError", ["repeat"]],
  ["transpose with a non-permutation", () => transpose(f([2, 3]), [0, 0]), "KernelShapeError", ["perm [0,0]", "permutation"]],
  ["broadcastInDim with a dimension that cannot stretch", () => broadcastInDim(f([3]), [2, 4], [1]), "KernelShapeError", ["size 3", "4"]],
  ["broadcastInDim with decreasing dimensions", () => broadcastInDim(f([2, 2]), [2, 2], [1, 0]), "KernelShapeError", ["strictly increasing"]],
  ["reshape changing the element count", () => reshape(f([2, 3]), [4]), "KernelShapeError", ["6", "4"]],
  ["slice past the end", () => slice(f([4]), [1], [5]), "KernelShapeError", ["limit 5", "4"]],
  ["slice with a zero stride", () => slice(f([4]), [0], [4], [0]), "KernelShapeError", ["strides"]],
  ["pad cropping below zero", () => pad(f([2]), 0, [[-2, -1, 0]]), "KernelShapeError", ["negative size"]],
  ["pad with a non-integer int32 value", () => pad(i32([2]), 0.5, [[1, 1, 0]]), "KernelShapeError", ["0.5", "int32"]],
  ["concatenate with mismatched shapes", () => concatenate([f([2, 3]), f([2, 4])], 0), "KernelShapeError", ["outside axis 0"]],
  ["concatenate of nothing", () => concatenate([], 0), "KernelShapeError", ["no operands"]],
  ["gather with float indices", () => gather(f([3]), f([2]), 0), "KernelShapeError", ["int32", "indices"]],
  ["gather with an index out of range", () => gather(f([3, 2]), i32([2], [1, 3]), 0), "IndexOutOfRangeError", ["index 3", "position 1", "size 3", "f32[3,2]"]],
  ["scatterAdd with updates of the wrong shape", () => scatterAdd([3], i32([2]), f([3]), 0), "KernelShapeError", ["updates must have shape [2]"]],
  ["scatterAdd with an index out of range", () => scatterAdd([3], i32([1], [-4]), f([1]), 0), "IndexOutOfRangeError", ["index -4"]],
  ["conv with a feature mismatch", () => conv(f([1, 4, 4, 3]), f([3, 3, 2, 5]), convP), "KernelShapeError", ["3 features", "2"]],
  ["conv with a bad dimension-number permutation", () => conv(f([1, 4, 4, 3]), f([3, 3, 3, 5]), { ...convP, dimensionNumbers: { ...NHWC, out: [0, 0, 1, 2] } }), "KernelShapeError", ["dimensionNumbers.out"]],
  ["conv with both group counts > 1", () => conv(f([2, 4, 4, 2]), f([3, 3, 1, 2]), { ...convP, featureGroupCount: 2, batchGroupCount: 2 }), "KernelShapeError", ["both > 1"]],
  ["reduceWindow with a wrong-length window", () => reduceWindow("max", f([4, 4]), { windowDimensions: [2], windowStrides: [1, 1], padding: [[0, 0], [0, 0]] }), "KernelShapeError", ["windowDimensions", "2 entries"]],
  ["selectAndScatterAdd with a source of the wrong shape", () => selectAndScatterAdd(f([3]), f([4]), { windowDimensions: [2], windowStrides: [2], padding: [[0, 0]] }), "KernelShapeError", ["source must have shape [2]"]],
  ["threefry2x32 on int32", () => threefry2x32(i32([2]), u32([2]), u32([2]), u32([2])), "KernelShapeError", ["uint32"]],
  ["threefry2x32 with mismatched shapes", () => threefry2x32(u32([2]), u32([2]), u32([3]), u32([2])), "KernelShapeError", ["one shape"]],
  ["iota with a dimension out of range", () => iota("int32", [2, 3], 2), "KernelShapeError", ["dimension 2"]],
  ["full with a non-uint32 value", () => full("uint32", [2], -1), "KernelShapeError", ["-1", "uint32"]]
]

describe("bad input", () => {
  it.each(CASES)("%s throws a tagged error naming the problem", (_name, call, tag, parts) => {
    const before = kernelLaunches()
    let err: unknown
    try {
      call()
    } catch (e) {
      err = e
    }
    expect(err, "expected a throw").toBeDefined()
    expect((err as { _tag: string })._tag).toBe(tag)
    for (const p of parts) expect((err as Error).message).toContain(p)
    if (tag !== "IntegerRangeError") expect(kernelLaunches()).toBe(before)
  })
})
