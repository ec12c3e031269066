/** A bounded LRU of compiled gpu.js kernels, keyed by op, dtypes, shapes and params. */

/** What the cache needs from a compiled kernel: a way to release it. */
export interface Destroyable {
  destroy?: (removeCanvasReferences?: boolean) => unknown
}

/** Hit/miss counters and occupancy of a KernelCache. */
export interface KernelCacheStats {
  readonly size: number
  readonly capacity: number
  readonly hits: number
  readonly misses: number
}

/**
 * Least-recently-used map of compiled kernels, bounded by entry count and by the bytes their
 * buffers pin (a webasm kernel keeps a wasm memory sized for its arguments). Evicting an
 * entry calls its `destroy()` so the wasm memory or GL program behind it is released.
 */
export class KernelCache<K extends Destroyable> {
  private readonly entries = new Map<string, { kernel: K; bytes: number }>()
  private bytes = 0
  private hits = 0
  private misses = 0

  constructor(
    readonly capacity: number,
    readonly maxBytes = Infinity
  ) {}

  /** The kernel under `key`, compiling it with `make` on a miss; `bytes` estimates the memory it pins. */
  getOrCreate(key: string, make: () => K, bytes = 0): K {
    const found = this.entries.get(key)
    if (found !== undefined) {
      this.hits++
      this.entries.delete(key)
      this.entries.set(key, found)
      return found.kernel
    }
    this.misses++
    const made = make()
    this.entries.set(key, { kernel: made, bytes })
    this.bytes += bytes
    while (this.entries.size > this.capacity || (this.bytes > this.maxBytes && this.entries.size > 1)) {
      const oldest = this.entries.keys().next().value as string
      const evicted = this.entries.get(oldest)!
      this.entries.delete(oldest)
      this.bytes -= evicted.bytes
      release(evicted.kernel)
    }
    return made
  }

  /** Destroys every kernel and resets the counters. */
  clear(): void {
    for (const e of this.entries.values()) release(e.kernel)
    this.entries.clear()
    this.bytes = 0
    this.hits = 0
    this.misses = 0
  }

  /** Current occupancy and counters. */
  stats(): KernelCacheStats {
    return { size: this.entries.size, capacity: this.capacity, hits: this.hits, misses: this.misses }
  }
}

const release = (k: Destroyable | undefined): void => {
  try {
    const done = k?.destroy?.()
    if (done instanceof Promise) done.catch(() => undefined)
  } catch {
    // a kernel that fails to release is dropped anyway
  }
}
