/**
 * Compiled execution of jaxprs: `compiled(closed)` lowers once (fusion decisions, buffer plan)
 * and returns a runner that executes the program on concrete tensors with the current backend's
 * executor — WebAssembly SIMD kernels in `wasm-simd`, generated gpu.js kernels elsewhere.
 */
import { currentMode, recordWasmLaunch } from "../../kernels/backend.js"
import type { Program } from "../../kernels/fusion.js"
import { compileWasm, type WasmExecutable } from "../../kernels/wasm/program.js"
import { compileGpujs, type GpujsExecutable } from "../../kernels/gpujsProgram.js"
import type { ClosedJaxpr } from "../core/jaxpr.js"
import { ConcreteTensor } from "../core/Tensor.js"
import { lowerJaxpr } from "./lower.js"

/** A lowered jaxpr and its executables per backend. */
export interface Compiled {
  readonly program: Program
  run(args: ReadonlyArray<ConcreteTensor>): ConcreteTensor[]
}

/** Lowers `closed` (once) and returns its runner for the backend selected at each call. */
export const compile = (closed: ClosedJaxpr): Compiled => {
  const program = lowerJaxpr(closed)
  let wasmExec: WasmExecutable | null = null
  let gpujsExec: GpujsExecutable | null = null
  return {
    program,
    run: (args) => {
      const hosts = args.map((a) => a.host)
      const outs =
        currentMode() === "wasm-simd"
          ? (wasmExec ??= compileWasm(program, recordWasmLaunch)).run(hosts)
          : (gpujsExec ??= compileGpujs(program)).run(hosts)
      return outs.map((h) => new ConcreteTensor(h))
    }
  }
}
