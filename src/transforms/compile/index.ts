/**
 * Compiled execution of jaxprs: `compiled(closed)` lowers once (fusion decisions, buffer plan)
 * and returns a runner that executes the program on concrete tensors with the current backend's
 * executor — WebAssembly SIMD kernels in `wasm-simd`, generated gpu.js kernels elsewhere.
 */
import { currentMode, recordWasmLaunch } from "../../kernels/backend.js"
import type { Program } from "../../kernels/fusion.js"
import { compileWasm, type WasmExecutable } from "../../kernels/wasm/program.js"
import type { ClosedJaxpr } from "../core/jaxpr.js"
import { ConcreteTensor } from "../core/Tensor.js"
import { lowerJaxpr } from "./lower.js"

/** A lowered jaxpr and its executables per backend. */
export interface Compiled {
  readonly program: Program
  run(args: ReadonlyArray<ConcreteTensor>): ConcreteTensor[] | null
}

/** Lowers `closed` (once) and returns its runner; `run` gives null where no executor applies. */
export const compile = (closed: ClosedJaxpr): Compiled => {
  const program = lowerJaxpr(closed)
  let wasmExec: WasmExecutable | null = null
  return {
    program,
    run: (args) => {
      if (currentMode() !== "wasm-simd") return null
      wasmExec ??= compileWasm(program, recordWasmLaunch)
      return wasmExec.run(args.map((a) => a.host)).map((h) => new ConcreteTensor(h))
    }
  }
}
