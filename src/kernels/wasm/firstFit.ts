/**
 * First-fit allocation of ranges over a region that grows at its top: freed ranges are merged
 * with their neighbours, and a range freed at the top lowers the top (the common case when
 * scratch is given back in reverse order). Serves the runtime's heap and the buffer plans of
 * compiled programs (offsets within a program's arena).
 */
export class FirstFit {
  /** Free ranges below the top, sorted by offset, never adjacent. */
  private free: Array<{ off: number; size: number }> = []
  /** End of the highest range in use. */
  top: number
  /** The highest `top` ever reached: the region's size so far. */
  peak: number
  constructor(readonly start = 0) {
    this.top = start
    this.peak = start
  }

  /** The offset of a `size`-unit range: the first freed range that fits, else the top. */
  alloc(size: number): number {
    for (let k = 0; k < this.free.length; k++) {
      const f = this.free[k]!
      if (f.size >= size) {
        const off = f.off
        if (f.size === size) this.free.splice(k, 1)
        else this.free[k] = { off: f.off + size, size: f.size - size }
        return off
      }
    }
    const off = this.top
    this.top += size
    if (this.top > this.peak) this.peak = this.top
    return off
  }

  /** Frees the range `[off, off + size)`. */
  release(off: number, size: number): void {
    if (off + size === this.top) {
      this.top = off
      let last = this.free[this.free.length - 1]
      while (last !== undefined && last.off + last.size === this.top) {
        this.top = last.off
        this.free.pop()
        last = this.free[this.free.length - 1]
      }
      return
    }
    let lo = 0
    let hi = this.free.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.free[mid]!.off < off) lo = mid + 1
      else hi = mid
    }
    this.free.splice(lo, 0, { off, size })
    const cur = this.free[lo]!
    const next = this.free[lo + 1]
    if (next !== undefined && cur.off + cur.size === next.off) {
      cur.size += next.size
      this.free.splice(lo + 1, 1)
    }
    const prev = this.free[lo - 1]
    if (prev !== undefined && prev.off + prev.size === cur.off) {
      prev.size += cur.size
      this.free.splice(lo, 1)
    }
  }
}
