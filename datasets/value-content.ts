/**
 * Value bytes with controllable compressibility. A source builds a 1 MiB pool once (db_bench's
 * RandomGenerator does the same, for the same reason: generating bytes per value would cost more
 * than most engines' writes) and cuts each value from it at an offset derived from the key index
 * and version. The first 8 bytes of every value ≥ 8 bytes are the key index, big-endian, so a
 * reader can check that a value belongs to its key.
 *
 * Kinds: `random` (incompressible), `repeated` (one short phrase: the best case for any codec),
 * `compressible:R` (db_bench's CompressibleString: each 100-byte piece is R·100 random bytes
 * repeated, so a codec shrinks it to about R), `text` (an order-1 word Markov chain over the
 * shipped sample datasets/corpus/sample.txt) and `json` (JSON lines of user-like records whose
 * strings come from the same chain). Nothing is fetched at run time.
 */
import fs from 'node:fs'
import { Prng } from './prng.ts'

/** Pool size; db_bench uses the same 1 MiB. Large values tile it. */
export const VALUE_POOL_BYTES = 1024 * 1024
/** db_bench's CompressibleString piece length. */
const COMPRESSIBLE_PIECE_BYTES = 100
/** Bytes at the start of each value that carry the key index. */
export const VALUE_HEADER_BYTES = 8

export type ValueContentSpec =
  | { kind: 'random' }
  | { kind: 'repeated' }
  | { kind: 'compressible'; ratio: number } // compressed/raw target, in (0, 1]
  | { kind: 'text' }
  | { kind: 'json' }

/** Makes values. */
export interface ValueSource {
  readonly spec: ValueContentSpec
  /** A fresh `sizeBytes`-byte value for key `index`, `version` (overwrites use version ≥ 1). */
  value(index: number, sizeBytes: number, version?: number): Uint8Array
  /** The pool values are cut from, for compressibility measurements. */
  readonly pool: Uint8Array
}

/**
 * Creates a value source.
 * @example
 * ```ts
 * const values = createValueSource({ kind: 'text' }, 42)
 * const value = values.value(7, 256) // 256 bytes, starts with BE64(7)
 * ```
 */
export function createValueSource(spec: ValueContentSpec, seed: number): ValueSource {
  const prng = Prng.derive(seed, `value-content:${describeValueContent(spec)}`)
  const pool = buildPool(spec, prng)
  return {
    spec,
    pool,
    value(index: number, sizeBytes: number, version = 0): Uint8Array {
      const value = new Uint8Array(sizeBytes)
      let offset = (Math.imul(index >>> 0, 0x9e3779b1) ^ Math.imul(version + 1, 0x85ebca6b)) >>> 0
      offset %= VALUE_POOL_BYTES
      let position = 0
      while (position < sizeBytes) {
        const chunk = Math.min(sizeBytes - position, VALUE_POOL_BYTES - offset)
        value.set(pool.subarray(offset, offset + chunk), position)
        position += chunk
        offset = 0
      }
      writeHeader(value, index)
      return value
    },
  }
}

/** The key index in a value's header, or undefined for values under 8 bytes. */
export function valueHeaderIndex(value: Uint8Array): number | undefined {
  if (value.length < VALUE_HEADER_BYTES) return undefined
  const high = ((value[0] << 24) | (value[1] << 16) | (value[2] << 8) | value[3]) >>> 0
  const low = ((value[4] << 24) | (value[5] << 16) | (value[6] << 8) | value[7]) >>> 0
  return high * 2 ** 32 + low
}

function writeHeader(value: Uint8Array, index: number): void {
  if (value.length < VALUE_HEADER_BYTES) return
  const high = Math.floor(index / 2 ** 32)
  const low = index >>> 0
  value[0] = high >>> 24; value[1] = (high >>> 16) & 0xff; value[2] = (high >>> 8) & 0xff; value[3] = high & 0xff
  value[4] = low >>> 24; value[5] = (low >>> 16) & 0xff; value[6] = (low >>> 8) & 0xff; value[7] = low & 0xff
}

function buildPool(spec: ValueContentSpec, prng: Prng): Uint8Array {
  const pool = new Uint8Array(VALUE_POOL_BYTES)
  switch (spec.kind) {
    case 'random':
      return prng.fillBytes(pool)
    case 'repeated':
      return fillRepeating(pool, new TextEncoder().encode('strata benchmark value; '))
    case 'compressible': {
      const uniqueBytes = Math.max(1, Math.round(spec.ratio * COMPRESSIBLE_PIECE_BYTES))
      const piece = new Uint8Array(COMPRESSIBLE_PIECE_BYTES)
      for (let offset = 0; offset < VALUE_POOL_BYTES; offset += COMPRESSIBLE_PIECE_BYTES) {
        fillRepeating(piece, prng.fillBytes(new Uint8Array(uniqueBytes)))
        pool.set(piece.subarray(0, Math.min(COMPRESSIBLE_PIECE_BYTES, VALUE_POOL_BYTES - offset)), offset)
      }
      return pool
    }
    case 'text':
      return fillFromText(pool, () => markovSentence(prng) + ' ')
    case 'json': {
      let id = 0
      return fillFromText(pool, () => jsonRecord(id++, prng) + '\n')
    }
  }
}

function fillRepeating(target: Uint8Array, pattern: Uint8Array): Uint8Array {
  for (let offset = 0; offset < target.length; offset += pattern.length) {
    target.set(pattern.subarray(0, Math.min(pattern.length, target.length - offset)), offset)
  }
  return target
}

function fillFromText(pool: Uint8Array, nextPiece: () => string): Uint8Array {
  const encoder = new TextEncoder()
  let offset = 0
  while (offset < pool.length) {
    const piece = encoder.encode(nextPiece())
    pool.set(piece.subarray(0, Math.min(piece.length, pool.length - offset)), offset)
    offset += piece.length
  }
  return pool
}

/** Word → the words that follow it in the sample, with repeats (so frequent pairs stay frequent). */
interface MarkovChain { starts: string[]; followers: Map<string, string[]>; words: string[] }
let chainCache: MarkovChain | undefined

function markovChain(): MarkovChain {
  if (chainCache !== undefined) return chainCache
  const sample = fs.readFileSync(new URL('./corpus/sample.txt', import.meta.url), 'utf8')
  const words = sample.split(/\s+/).filter((word) => word.length > 0)
  const followers = new Map<string, string[]>()
  const starts: string[] = [words[0]]
  for (let index = 0; index + 1 < words.length; index++) {
    const list = followers.get(words[index]) ?? []
    list.push(words[index + 1])
    followers.set(words[index], list)
    if (/[.?!]$/.test(words[index])) starts.push(words[index + 1])
  }
  chainCache = { starts, followers, words }
  return chainCache
}

/** One sentence from the chain: from a sentence start to a word ending in . ? or ! (at most 60 words). */
function markovSentence(prng: Prng): string {
  const chain = markovChain()
  let word = chain.starts[prng.nextBelow(chain.starts.length)]
  const sentence = [word]
  for (let count = 1; count < 60 && !/[.?!]$/.test(word); count++) {
    const next = chain.followers.get(word)
    word = next === undefined ? chain.words[prng.nextBelow(chain.words.length)] : next[prng.nextBelow(next.length)]
    sentence.push(word)
  }
  return sentence.join(' ')
}

function plainWord(prng: Prng): string {
  const chain = markovChain()
  const word = chain.words[prng.nextBelow(chain.words.length)].toLowerCase().replace(/[^a-z]/g, '')
  return word.length > 0 ? word : 'value'
}

function jsonRecord(id: number, prng: Prng): string {
  const name = `${plainWord(prng)}_${plainWord(prng)}`
  const createdAtMs = Date.UTC(2024, 0, 1) + prng.nextBelow(365 * 24 * 3600) * 1000
  return JSON.stringify({
    id,
    user: name,
    email: `${name}@${plainWord(prng)}.example`,
    active: prng.nextBelow(4) !== 0,
    score: Math.round(prng.nextFloat() * 100_000) / 100,
    tags: Array.from({ length: 1 + prng.nextBelow(4) }, () => plainWord(prng)),
    createdAt: new Date(createdAtMs).toISOString(),
    address: { city: plainWord(prng), zip: String(10000 + prng.nextBelow(90000)) },
    note: markovSentence(prng),
  })
}

/** Parses `random`, `repeated`, `compressible[:R]` (default 0.5), `text`, `json`. */
export function parseValueContent(text: string): ValueContentSpec {
  const [name, argument] = text.split(':')
  switch (name) {
    case 'random': return { kind: 'random' }
    case 'repeated': return { kind: 'repeated' }
    case 'text': return { kind: 'text' }
    case 'json': return { kind: 'json' }
    case 'compressible': {
      const ratio = argument === undefined ? 0.5 : Number(argument)
      if (!(ratio > 0 && ratio <= 1)) throw new RangeError(`Bad value content '${text}': compressible ratio must be in (0, 1]`)
      return { kind: 'compressible', ratio }
    }
    default:
      throw new RangeError(`Unknown value content '${text}': expected random, repeated, compressible[:R], text or json`)
  }
}

/** The inverse of parseValueContent. */
export function describeValueContent(spec: ValueContentSpec): string {
  return spec.kind === 'compressible' ? `compressible:${spec.ratio}` : spec.kind
}
