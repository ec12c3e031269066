/**
 * Modules and Haiku's naming rules. Constructing a module is an effect that reserves a unique
 * name in the current scope; calling it is an effect that runs its body in the module's scope.
 *
 * Naming (Haiku `module.py`): default names are snake_case; a repeated name gets `_1`, `_2`, …
 * within one enclosing method call; an explicit `_N` suffix is kept (and must be unique);
 * children created while the parent is constructed are `parent/~/child`, in `__call__`
 * `parent/child`, in another method `m` `parent/~m/child`. Each method call has fresh
 * counters, so a child created in `__call__` gets the same name (and parameters) every call.
 */
import { Effect } from "effect"
import { CurrentModuleScope, Naming, frameOf, type ModuleScope } from "./services.js"
import { NameTable, type Frame } from "./Frame.js"
import { ModuleNameError } from "./errors.js"
import { callMethod, type ModuleInfo } from "./interceptors.js"
import type { Erase, Rebase } from "./paths.js"

const CAMEL = /((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))/g

/**
 * `"BatchNorm"` → `"batch_norm"`, `"MLP"` → `"mlp"`, `"Conv2D"` → `"conv2_d"`.
 *
 * Haiku: `haiku._src.utils.camel_to_snake`.
 *
 * @example
 * hk.camelToSnake("LayerNorm") // "layer_norm"
 */
export const camelToSnake = (value: string): string => value.replace(CAMEL, "_$1").toLowerCase()

const IDENT = /^[a-zA-Z_][a-zA-Z0-9_]*$/

/** Haiku's `unique_and_canonical_name`: the full, unique name for `name` created in `scope`. */
export const uniqueName = (frame: Frame, scope: ModuleScope | null, name: string): string => {
  if (!IDENT.test(name)) {
    throw new ModuleNameError({ name, message: `'${name}' is not a valid module name (must be a valid identifier: letters, digits and _, not starting with a digit).` })
  }
  let full = name
  let table = frame.names
  if (scope !== null) {
    const m = scope.methodName
    full = `${scope.moduleName}/${m === "__init__" ? "~/" : m === "__call__" ? "" : `~${m}/`}${name}`
    table = scope.names
  }
  const explicit = /_(\d+)$/.exec(full)
  let base = full
  let qualified: string
  if (explicit) {
    base = full.slice(0, explicit.index)
    const n = Number(explicit[1])
    table.counters.set(base, Math.max(table.counters.get(base) ?? 0, n + 1))
    qualified = full
  } else {
    const n = table.counters.get(base) ?? 0
    table.counters.set(base, n + 1)
    qualified = n === 0 ? base : `${base}_${n}`
  }
  if (table.used.has(qualified)) {
    throw new ModuleNameError({
      name: qualified,
      message: `Module name '${qualified}' is not unique. An explicitly numbered name can be used once per scope; drop the number to let Haiku number it, or pick another name.`
    })
  }
  table.used.add(qualified)
  return qualified
}

/**
 * A module's identity, given to its `build` function: its full name and the scopes its
 * methods run in.
 */
export interface ModuleHandle<Name extends string = string> {
  /** The full name, e.g. `"mlp/~/linear_0"` (the parameter bundle of this module). */
  readonly moduleName: string
  /** The last path segment, e.g. `"linear_0"`. */
  readonly name: string
  /** Run `body` as this module's `__call__`: its parameters go to `moduleName`, children are `moduleName/child`. */
  call<A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E, Rebase<R, Name>>
  /** Run `body` as method `methodName`: parameters go to `moduleName`, children are `moduleName/~methodName/child`. */
  method<A, E, R>(methodName: string, body: Effect.Effect<A, E, R>): Effect.Effect<A, E, Rebase<R, Name>>
  /**
   * A method of the module other than calling it (Haiku: a public method such as `Embed.attend`):
   * each call runs through the method interceptors (`hk.interceptMethods`) and then `f` in the
   * method's scope (`moduleName/~methodName/child` for children).
   */
  defineMethod<Args extends any[], A, E, R>(methodName: string, f: (...args: Args) => Effect.Effect<A, E, R>): (...args: Args) => Effect.Effect<A, E, Rebase<R, Name>>
}

/** What a module tells `hk.summary` and method interceptors about itself, beyond its name. */
export interface ModuleDescription {
  /** Its kind (Haiku's class name), e.g. `"Linear"`. */
  readonly kind?: string
  /** Its constructor options, for display. */
  readonly config?: Readonly<Record<string, unknown>>
}

const inScope = <A, E, R>(moduleName: string, methodName: string, body: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => Effect.provideService(body, CurrentModuleScope, { moduleName, methodName, names: new NameTable() }))

const handle = (info: ModuleInfo): ModuleHandle<any> =>
  ({
    moduleName: info.moduleName,
    name: info.name,
    call: <A, E, R>(body: Effect.Effect<A, E, R>) => inScope(info.moduleName, "__call__", body),
    method: <A, E, R>(methodName: string, body: Effect.Effect<A, E, R>) => inScope(info.moduleName, methodName, body),
    defineMethod:
      <Args extends any[], A, E, R>(methodName: string, f: (...args: Args) => Effect.Effect<A, E, R>) =>
      (...args: Args) =>
        callMethod(info, methodName, (...a: any[]) => inScope(info.moduleName, methodName, Effect.suspend(() => f(...(a as Args)))), args) as Effect.Effect<A, E, R>
  }) as unknown as ModuleHandle<any>

/** `value` with calls going through the method interceptors (as `__call__`), keeping its properties. */
const interceptable = <T>(value: T, info: ModuleInfo): T => {
  if (typeof value !== "function") return value
  const fn = value as unknown as (...args: any[]) => unknown
  const wrapped = (...args: any[]) => callMethod(info, "__call__", fn, args)
  const { length: _l, name: _n, prototype: _p, ...props } = Object.getOwnPropertyDescriptors(fn)
  Object.defineProperties(wrapped, props)
  Object.defineProperty(wrapped, "name", { value: info.name, enumerable: true, configurable: true, writable: false })
  return wrapped as unknown as T
}

/**
 * Define and construct a module: reserves a unique name for `name` in the current scope, then
 * runs `build(self)` as the module's constructor (children built there are `name/~/child`).
 * `build` returns the module value, typically a function whose body runs in `self.call(...)`;
 * calls of a function value go through the method interceptors (`hk.interceptMethods`) as
 * `__call__`. `description` names the module's kind and options for `hk.summary`.
 *
 * With a literal `name`, the parameters the module's methods create with `hk.getParameter` are
 * typed by path: `init`'s result has the key `name` with those names (children's paths are not
 * followed: a module with submodules gives the general `ParamTree`).
 *
 * Haiku: subclassing `hk.Module` (`__init__` + `__call__`).
 *
 * @example
 * const Scale = (name = "scale") =>
 *   hk.module(name, (self) => (x: Tensor) =>
 *     self.call(Effect.map(hk.getParameter("s", [], jnp.ones), (s) => jnp.multiply(x, s))))
 * // inside a transform: const scale = yield* Scale(); yield* scale(x)  → params { scale: { s } }
 */
export const module = <T, E = never, R = never, const Name extends string = string>(
  name: Name,
  build: (self: ModuleHandle<Name>) => T | Effect.Effect<T, E, R>,
  description: ModuleDescription = {}
): Effect.Effect<T, E, Rebase<R, Name> | Naming> =>
  Effect.withFiber((fiber) => {
    const frame = frameOf(fiber, Naming, `hk.module("${name}")`)
    const moduleName = uniqueName(frame, fiber.getRef(CurrentModuleScope), name)
    const info: ModuleInfo = { moduleName, name: moduleName.slice(moduleName.lastIndexOf("/") + 1), kind: description.kind, config: description.config }
    const self = handle(info)
    return (Effect.map as any)(
      inScope(
        moduleName,
        "__init__",
        Effect.suspend(() => {
          const out = build(self)
          return Effect.isEffect(out) ? out : Effect.succeed(out)
        })
      ),
      (value: T) => interceptable(value, info)
    )
  })

/**
 * Run `effect` with `name` (e.g. `"a/b"`) pushed on the module scope: parameters, state and
 * modules created inside get that prefix. Entering the same name twice numbers it (`a_1`).
 *
 * Haiku: `hk.experimental.name_scope`.
 *
 * @example
 * hk.nameScope("encoder", hk.getParameter("w", [3], jnp.zeros)) // params { encoder: { w } }
 */
export const nameScope = <A, E, R>(name: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, Erase<R> | Naming> =>
  Effect.withFiber((fiber) => {
    if (!name || name.startsWith("/")) throw new ModuleNameError({ name, message: `Name scopes must not start with / (got '${name}'): give a relative name such as "block/inner".` })
    const frame = frameOf(fiber, Naming, "hk.nameScope")
    let scope = fiber.getRef(CurrentModuleScope)
    for (const part of name.split("/")) {
      const moduleName = uniqueName(frame, scope, part)
      scope = { moduleName, methodName: "__call__", names: new NameTable() }
    }
    return Effect.provideService(effect, CurrentModuleScope, scope) as Effect.Effect<A, E, any>
  })

/**
 * A constructed module: a function of its inputs, with its name attached.
 *
 * @typeParam F - the module's call signature
 */
export type Module<F extends (...args: any[]) => any, Extra = {}> = F & { readonly moduleName: string; readonly name: string } & Extra

/** Attach `props` to `fn` as read-only own properties (works for `name`, which functions already have). */
export const attach = <F extends (...args: any[]) => any, P extends object>(fn: F, props: P): F & P => {
  for (const [k, v] of Object.entries(props)) Object.defineProperty(fn, k, { value: v, enumerable: true, configurable: true, writable: false })
  return fn as F & P
}
