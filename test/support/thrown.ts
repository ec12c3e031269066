import { expect } from "vitest"

/**
 * The error `f` throws, checked to be an instance of `cls`; fails the test if `f` throws
 * nothing or something else.
 */
export const thrown = <E>(f: () => unknown, cls: abstract new (...args: never[]) => E): E => {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(cls)
    return e as E
  }
  throw new Error(`expected a ${cls.name}, but nothing was thrown`)
}
