/**
 * GL modes cannot run in Node here, so this checks the next best thing: every kernel source the
 * generators emit translates to GLSL ES 3.00 (webgl2) and 1.00 (webgl / headlessgl) with
 * gpu.js's own WebGL function nodes, and, when `glslangValidator` is installed
 * (apt: glslang-tools), the translated shaders compile.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import gpujs from "gpu.js"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as K from "../../src/kernels/index.js"

const require = createRequire(import.meta.url)
const gl = gpujs as unknown as Record<string, new (src: string, settings: object) => { toString(): string }> & { GPU: { prototype: { createKernel: (...a: unknown[]) => unknown } } }
const hasGlslang = ((): boolean => {
  try {
    execFileSync("glslangValidator", ["--version"], { stdio: "pipe" })
    return true
  } catch {
    return false
  }
})()

const sources: Array<{ src: string; types: Record<string, string>; output: number[] }> = []
const original = gl.GPU.prototype.createKernel

/** Runs every op family, including int-plane, bound-check, grouped-conv and window variants. */
const exerciseAllGenerators = (): void => {
  const f = (shape: number[]) => K.hostArray("float32", shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => Math.sin(k)))
  const i = (shape: number[], v?: number[]) => K.hostArray("int32", shape, Int32Array.from(v ?? Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => k - 3)))
  const u = (shape: number[]) => K.hostArray("uint32", shape, Uint32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, k) => k * 7))
  const x = f([3, 4]), y = f([4]), xi = i([3, 4]), yi = i([4]), xu = u([3, 4]), xb = K.convert(x, "bool")
  for (const op of K.UNARY_OPS) if (op !== "not") K.unary(op, x)
  K.unary("not", xi), K.unary("not", xb), K.unary("neg", xi)
  for (const op of K.BINARY_OPS) {
    if (!["and", "or", "xor", "shift_left", "shift_right_logical"].includes(op)) K.binary(op, x, y)
    if (op !== "atan2") K.binary(op, xi, op === "pow" ? i([4], [1, 2, 0, 3]) : yi)
  }
  K.binary("and", xb, xb), K.select(xb, x, y), K.select(xb, xi, yi)
  for (const t of ["int32", "uint32", "bool"] as const) K.convert(x, t)
  K.convert(xi, "float32")
  for (const op of ["sum", "max", "min", "prod", "argmax", "argmin"] as const) {
    K.reduce(op, x, op.startsWith("arg") ? [1] : [0, 1])
    K.reduce(op, xi, [0])
  }
  const dims = { lhsContracting: [1], rhsContracting: [0], lhsBatch: [], rhsBatch: [] }
  K.dotGeneral(x, f([4, 5]), dims)
  const tryRange = (fn: () => unknown) => expect(fn).toThrow(K.IntegerRangeError)
  tryRange(() => K.reduce("sum", i([3], [16000000, 16000000, -16000000]), [0]))
  tryRange(() => K.dotGeneral(i([1, 2], [4096, 4096]), i([2, 1], [4096, 4096]), dims))
  tryRange(() => K.scatterAdd([2], i([2], [0, 0]), i([2], [16000000, 16000000]), 0))
  K.transpose(x, [1, 0]), K.transpose(xu, [1, 0]), K.broadcastInDim(y, [2, 4], [1]), K.slice(x, [1, 1], [3, 4], [1, 2])
  K.pad(x, 0, [[1, 1, 1], [-1, 0, 0]]), K.pad(xu, 5, [[1, 0, 0], [0, 0, 0]]), K.concatenate([x, x, x], 0), K.concatenate([xu, xu], 1)
  K.gather(x, i([2], [0, -1]), 0), K.gather(xu, i([2], [0, -1]), 1), K.scatterAdd([3, 4], i([2], [0, -1]), f([2, 4]), 0)
  const img = f([2, 5, 5, 4])
  const nhwc = { lhs: [0, 3, 1, 2], rhs: [3, 2, 0, 1], out: [0, 3, 1, 2] }
  K.conv(img, f([3, 3, 2, 4]), { windowStrides: [2, 1], padding: [[1, 1], [0, 1]], lhsDilation: [1, 2], rhsDilation: [2, 1], featureGroupCount: 2, batchGroupCount: 1, dimensionNumbers: nhwc })
  K.conv(img, f([3, 3, 4, 4]), { windowStrides: [1, 1], padding: [[0, 0], [0, 0]], lhsDilation: [1, 1], rhsDilation: [1, 1], featureGroupCount: 1, batchGroupCount: 2, dimensionNumbers: nhwc })
  const w = { windowDimensions: [1, 2, 2, 1], windowStrides: [1, 2, 2, 1], padding: [[0, 0], [0, 1], [1, 0], [0, 0]] as Array<[number, number]> }
  K.reduceWindow("max", img, w), K.reduceWindow("sum", img, w), K.reduceWindow("max", K.convert(img, "int32"), w)
  K.selectAndScatterAdd(K.reduceWindow("max", img, w), img, w), K.selectAndGatherAdd(img, img, w)
  K.threefry2x32(u([2]), u([2]), u([2]), u([2])), K.iota("int32", [2, 3], 1), K.full("float32", [2], 1), K.full("uint32", [2], 7)
  for (const op of ["sum", "prod", "max", "min"] as const) K.cumulative(op, x, 1, op === "max")
  K.cumulative("sum", xi, 0, false)
  const perm = K.sortPermutation([x], 1, "ascending")
  K.sortPermutation([x], 0, "descending"), K.sortPermutation([xi, xu], 1, "ascending"), K.sortPermutation([xb], 1, "descending")
  K.takeAlongAxis(x, perm, 1), K.takeAlongAxis(xu, perm, 1)
  K.scatter("set", x, i([2], [0, -1]), f([2, 4]), 0), K.scatter("set", xi, i([2], [1, 1]), i([2, 4]), 0), K.scatter("mul", x, i([3], [2, 2, 0]), f([3, 3]), 1)
}

const translate = (node: new (src: string, settings: object) => { toString(): string }, s: (typeof sources)[number]): string => {
  const names = Object.keys(s.types)
  return new node(s.src, {
    output: s.output,
    argumentTypes: names.map((n) => s.types[n]),
    argumentNames: names,
    returnType: "Number",
    isRootKernel: true,
    name: "kernel",
    precision: "single",
    fixIntegerDivisionAccuracy: true,
    argumentSizes: names.map((n) => (s.types[n] === "Array" ? [16, 1] : null)),
    argumentBitRatios: names.map(() => 4),
    lookupFunctionArgumentTypes: () => null,
    lookupReturnType: () => null,
    triggerImplyArgumentType: () => undefined,
    lookupFunctionArgumentBitRatio: () => 4,
    needsArgumentType: () => false,
    assignArgumentType: () => undefined,
    onFunctionCall: () => undefined
  }).toString()
}

/** The gpu.js fragment-shader template with the kernel and minimal declarations filled in. */
const shader = (gl2: boolean, kernel: string, types: Record<string, string>): string => {
  const template: string = require(`gpu.js/src/backend/${gl2 ? "web-gl2" : "web-gl"}/fragment-shader.js`).fragmentShader
  const div = `float divWithIntCheck(float x, float y) { if (floor(x) == x && floor(y) == y) { float q = floor(x / y + 0.5); if (y * q == x) { return q; } } return x / y; }
float integerCorrectionModulo(float n, float d) { return n - d * floor(divWithIntCheck(n, d)); }`
  const args = Object.keys(types)
    .map((n) => (types[n] === "Array" ? `uniform sampler2D user_${n};\nuniform ivec2 user_${n}Size;\nuniform ivec3 user_${n}Dim;` : `uniform float user_${n};`))
    .join("\n")
  const fill: Record<string, string> = {
    HEADER: "",
    FLOAT_TACTIC_DECLARATION: "precision highp float;",
    INT_TACTIC_DECLARATION: "precision highp int;",
    SAMPLER_2D_TACTIC_DECLARATION: "precision highp sampler2D;",
    SAMPLER_2D_ARRAY_TACTIC_DECLARATION: gl2 ? "precision highp sampler2DArray;" : "",
    PLUGINS: "",
    CONSTANTS: "",
    DECODE32_ENDIANNESS: "",
    ENCODE32_ENDIANNESS: "",
    DIVIDE_WITH_INTEGER_CHECK: div,
    INJECTED_NATIVE: "",
    MAIN_CONSTANTS: "",
    MAIN_ARGUMENTS: `${args}\nuniform ivec2 uTexSize;\nfloat kernelResult;\n${gl2 ? "out vec4 data0;" : ""}`,
    KERNEL: kernel,
    MAIN_RESULT: `threadId = ivec3(index, 0, 0); kernel(); ${gl2 ? "data0[0]" : "gl_FragData[0][0]"} = kernelResult;`
  }
  return template.replace("__LOOP_MAX__", "1000").replace(/__([A-Z0-9_]+)__;?/g, (m, k: string) => fill[k] ?? m)
}

describe("GLSL compatibility of the generated kernels", () => {
  beforeAll(() => {
    K.setBackend("webasm")
    gl.GPU.prototype.createKernel = function (this: unknown, src: unknown, settings: unknown) {
      const s = settings as { argumentTypes: Record<string, string>; output: number[] }
      sources.push({ src: src as string, types: s.argumentTypes, output: s.output })
      return original.call(this, src, settings)
    }
    exerciseAllGenerators()
  })
  afterAll(() => {
    gl.GPU.prototype.createKernel = original
  })

  it("every generated kernel translates with gpu.js's WebGL2 and WebGL function nodes", () => {
    expect(sources.length).toBeGreaterThan(60)
    for (const s of sources) {
      expect(() => translate(gl.WebGL2FunctionNode!, s)).not.toThrow()
      expect(() => translate(gl.WebGLFunctionNode!, s)).not.toThrow()
    }
  })

  it.skipIf(!hasGlslang)("every translated kernel compiles as a GLSL ES 3.00 and 1.00 fragment shader (glslangValidator)", () => {
    const dir = mkdtempSync(join(tmpdir(), "tanka-glsl-"))
    const failures: string[] = []
    sources.forEach((s, k) => {
      for (const gl2 of [true, false]) {
        const file = join(dir, `k${k}${gl2 ? "-es3" : "-es1"}.frag`)
        writeFileSync(file, shader(gl2, translate(gl2 ? gl.WebGL2FunctionNode! : gl.WebGLFunctionNode!, s), s.types))
        try {
          execFileSync("glslangValidator", [file], { stdio: "pipe" })
        } catch (e) {
          failures.push(`${file}: ${String((e as { stdout?: unknown }).stdout).split("\n").filter((l) => l.includes("ERROR")).slice(0, 2).join(" | ")}\n${s.src.slice(0, 300)}`)
        }
      }
    })
    expect(failures).toEqual([])
  })
})
