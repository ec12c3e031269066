/**
 * What a safetensors header may cost, checked in one linear pass over its text before
 * `JSON.parse` builds anything: the number of tensor and metadata entries, the nesting depth, and
 * an estimate of the memory the parsed header takes. The same pass names duplicate keys, which
 * `JSON.parse` would silently collapse to the last one.
 */
import { CheckpointLimitError, corrupt } from "./errors.js"

/**
 * The limits a header is checked against (all documented in the README):
 * - `tensors`: tensor entries (100,000; a 100,000-entry header parses in about a second);
 * - `metadata`: `__metadata__` entries (10,000);
 * - `depth`: nesting of objects and arrays (8; the format itself needs 3);
 * - `memory`: the estimated size of the parsed header in bytes (256 MiB): 64 bytes per JSON value
 *   plus 2 bytes per character of its strings.
 *
 * @example
 * import { HEADER_LIMITS } from "tanka"
 * HEADER_LIMITS.tensors // 100000
 */
export const HEADER_LIMITS = {
  tensors: 100_000,
  metadata: 10_000,
  depth: 8,
  memory: 256 * 1024 * 1024
} as const

/** Bytes the estimate charges per JSON value (object, array, string, number or literal). */
const BYTES_PER_VALUE = 64

/** What the scan found. */
export interface HeaderScan {
  readonly tensors: number
  readonly metadata: number
  readonly depth: number
  readonly values: number
  readonly estimatedBytes: number
}

const where = (path: string | undefined): string => (path === undefined ? "the safetensors header" : `the header of checkpoint ${JSON.stringify(path)}`)

const overLimit = (path: string | undefined, limit: keyof typeof HEADER_LIMITS, value: number, what: string): CheckpointLimitError =>
  new CheckpointLimitError({
    path,
    limit,
    value,
    max: HEADER_LIMITS[limit],
    message:
      `${where(path)} ${what}, above tanka's limit of ${HEADER_LIMITS[limit]} (HEADER_LIMITS.${limit}). ` +
      `Headers are bounded so that a damaged or hostile file cannot take minutes and gigabytes to open; ` +
      `no model checkpoint comes near this. If the file is genuine, save its tensors into several checkpoints.`
  })

interface Container {
  readonly object: boolean
  /** For objects: the keys seen (duplicates are errors). */
  readonly keys: Set<string> | null
  /** For objects: the next string is a key. */
  expectKey: boolean
  /** For arrays: no element seen yet. */
  empty: boolean
  /** How messages name this container (`tensor "m/w"`, `__metadata__`, ...). */
  readonly name: string
  /** The key this container is the value of ("" for the root and array elements). */
  readonly under: string
}

const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09

/**
 * Scan a header's JSON text: throws `CheckpointLimitError` past a limit and
 * `CheckpointCorruptError` for a duplicate key; malformed JSON is left for `JSON.parse` to report.
 */
export const scanHeader = (text: string, path?: string): HeaderScan => {
  const stack: Container[] = []
  let values = 1
  let stringChars = 0
  let maxDepth = 0
  let tensors = 0
  let metadata = 0
  let lastKey = ""
  const n = text.length
  const estimate = (): number => values * BYTES_PER_VALUE + 2 * stringChars
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c === 0x22) {
      // a string: find its end, skipping escapes
      let j = i + 1
      let escaped = false
      while (j < n) {
        const d = text.charCodeAt(j)
        if (d === 0x5c) {
          escaped = true
          j += 2
          continue
        }
        if (d === 0x22) break
        j++
      }
      stringChars += j - i - 1
      const start = i
      i = j
      const top = stack[stack.length - 1]
      if (top !== undefined && top.object && top.expectKey) {
        const raw = text.slice(start + 1, Math.min(j, n))
        let key = raw
        if (escaped) {
          try {
            key = JSON.parse(`"${raw}"`) as string
          } catch {
            key = raw // JSON.parse of the whole header reports the bad escape
          }
        }
        if (top.keys!.has(key)) {
          const what = stack.length === 1 ? `tensor ${JSON.stringify(key)}` : `key ${JSON.stringify(key)} of ${top.name}`
          throw corrupt(
            path,
            `${what} appears twice in the header; JSON keeps only the last, so the first would be silently ignored`,
            "It is not a valid safetensors file (keys are unique); restore it from a backup or save the checkpoint again."
          )
        }
        top.keys!.add(key)
        top.expectKey = false
        lastKey = key
        if (stack.length === 1) {
          if (key === "__metadata__") continue
          if (++tensors > HEADER_LIMITS.tensors) throw overLimit(path, "tensors", tensors, `has more than ${HEADER_LIMITS.tensors} tensor entries`)
        } else if (stack.length === 2 && stack[1]!.under === "__metadata__") {
          if (++metadata > HEADER_LIMITS.metadata) throw overLimit(path, "metadata", metadata, `has more than ${HEADER_LIMITS.metadata} __metadata__ entries`)
        }
      } else if (top !== undefined && !top.object && top.empty) {
        top.empty = false
        values++
      }
      continue
    }
    if (isSpace(c)) continue
    const top = stack[stack.length - 1]
    if (top !== undefined && !top.object && top.empty && c !== 0x5d) {
      top.empty = false
      values++
    }
    switch (c) {
      case 0x7b: // {
      case 0x5b: {
        // [
        const object = c === 0x7b
        const name = stack.length === 0 ? "the header" : stack.length === 1 ? (lastKey === "__metadata__" ? "__metadata__" : `tensor ${JSON.stringify(lastKey)}`) : `${top!.name}[${JSON.stringify(lastKey)}]`
        const under = top !== undefined && top.object ? lastKey : ""
        stack.push({ object, keys: object ? new Set() : null, expectKey: object, empty: true, name, under })
        if (stack.length > maxDepth) {
          maxDepth = stack.length
          if (maxDepth > HEADER_LIMITS.depth) throw overLimit(path, "depth", maxDepth, `nests objects and arrays ${maxDepth} deep (a safetensors header needs 3)`)
        }
        break
      }
      case 0x7d: // }
      case 0x5d: // ]
        stack.pop()
        break
      case 0x3a: // :
        values++
        break
      case 0x2c: // ,
        if (top !== undefined) {
          if (top.object) top.expectKey = true
          else values++
        }
        break
    }
    if ((values & 0xffff) === 0 && estimate() > HEADER_LIMITS.memory) throw memoryError(path, estimate())
  }
  if (estimate() > HEADER_LIMITS.memory) throw memoryError(path, estimate())
  return { tensors, metadata, depth: maxDepth, values, estimatedBytes: estimate() }
}

const memoryError = (path: string | undefined, bytes: number): CheckpointLimitError =>
  overLimit(path, "memory", bytes, `would take more than ${Math.floor(HEADER_LIMITS.memory / 2 ** 20)} MiB to parse (estimated at 64 bytes per JSON value and 2 per string character; the scan stopped there)`)
