/**
 * `hk`: Haiku's programming model as typed Effects — services (`Params`, `State`, `Rng`,
 * `Naming`), the effects that use them, the handlers that provide them (`transform*`), lift,
 * the wrapped transforms (`hk.vmap`, `hk.evalShape`, `hk.grad`, …) and modules.
 *
 * @example
 * import { Effect } from "effect"
 * import { hk, jax, jnp, type Tensor } from "tanka"
 * const f = (x: Tensor) => Effect.gen(function* () {
 *   const net = yield* hk.nets.MLP([300, 100])
 *   return yield* net(x)
 * })
 * const { init, apply } = hk.transform(f)
 * const params = Effect.runSync(init(jax.random.key(777), jnp.ones([100, 100])))
 *
 * @module
 */
export { Params, State, Rng, Naming, type HaikuServices, type ModuleScope } from "./effects/services.js"
export { getParameter, getState, setState, getParams, runningInit, currentName, type Initializer, type ValueOptions } from "./effects/getParameter.js"
export {
  customCreator,
  customGetter,
  customSetter,
  interceptMethods,
  DO_NOT_STORE,
  type DoNotStore,
  type Creator,
  type Getter,
  type Setter,
  type MethodInterceptor,
  type MethodContext,
  type ModuleInfo,
  type NextCreator,
  type NextGetter,
  type NextSetter,
  type NextMethod,
  type ValueContext,
  type InterceptorOptions
} from "./effects/interceptors.js"
export { nextRngKey, nextRngKeys, maybeNextRngKey, reserveRngKeys, withRng } from "./effects/rng.js"
export { PRNGSequence, type ParamTree, type StateTree, type KeyLike, type StatePair } from "./effects/Frame.js"
export { transform, transformWithState, withoutApplyRng, type Transformed, type TransformedWithState, type AnyTransformed, type Stateless } from "./effects/transform.js"
export { multiTransform, multiTransformWithState, type MultiTransformed, type MultiTransformedWithState } from "./effects/multiTransform.js"
export type { InitError, ApplyError, ApplyWithStateError } from "./effects/errors.js"
export { module, nameScope, camelToSnake, type ModuleHandle, type Module, type ModuleDescription } from "./effects/module.js"
export * as initializers from "./nn/initializers.js"
export * as nets from "./nn/nets/index.js"
export { lift, transparentLift, liftWithState, unregistered, type LiftOptions, type LiftedBody } from "./effects/lift.js"
export { vmap, type HkVmapOptions, type VmapAxes } from "./effects/wrapped/vmap.js"
export { evalShape, type ShapeOf } from "./effects/wrapped/evalShape.js"
export { grad, valueAndGrad, jvp } from "./effects/wrapped/autodiff.js"
export { scan, map, type ScanOptions } from "./effects/wrapped/scan.js"
export * from "./nn/modules/index.js"
export * from "./nn/recurrent/index.js"
export { foriLoop } from "./effects/wrapped/foriLoop.js"
export { whileLoop } from "./effects/wrapped/whileLoop.js"
export { cond, switch } from "./effects/wrapped/cond.js"
export { remat } from "./effects/wrapped/remat.js"
export { layerStack, type LayerStackOptions } from "./effects/wrapped/layerStack.js"
export { NewParametersError, BranchStructureError } from "./effects/wrapped/errors.js"
export * as data from "./effects/dataStructures.js"
export * as dataStructures from "./effects/dataStructures.js"
export { ensemble, type Ensemble, type EnsembleWithState, type EnsembleOptions, type EnsembleKeys, type Stacked } from "./effects/ensemble.js"
export { summary, grid, type Summary, type SummaryRow, type SummaryOptions, type Spec } from "./effects/summary.js"
export type { ParamSlot, ParamsOf, TypedParams, Rebase, Erase, Here } from "./effects/paths.js"
