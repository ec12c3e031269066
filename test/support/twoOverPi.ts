/**
 * 2/π to any number of bits, in exact integer arithmetic: π by Machin's formula
 * (π/4 = 4·atan(1/5) − atan(1/239)), each arctangent by its alternating series in BigInt.
 * Used to check the reduction constant tanka's trig kernels carry, and by
 * `scripts/trig-worst-cases.ts` to find each binade's hardest input.
 */

/** ⌊2^p · 2/π⌋: the first `p` fraction bits of 2/π (its integer part is 0). */
export const twoOverPiBits = (p: bigint): bigint => {
  const one = 1n << p
  const atanInv = (n: bigint): bigint => {
    let s = 0n
    let t = one / n
    for (let k = 0n; t !== 0n; k++, t /= n * n) s += (k % 2n === 0n ? 1n : -1n) * (t / (2n * k + 1n))
    return s
  }
  return (2n * one * one) / (4n * (4n * atanInv(5n) - atanInv(239n)))
}
