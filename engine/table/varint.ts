/**
 * Unsigned LEB128 varints for integers up to 2^53 - 1 (seqnos, offsets, lengths), and a small
 * byte reader for the cold-path blocks (index, properties, range tombstones). Hot-path decoding
 * in data blocks inlines its own loop (block.ts).
 *
 * | byte | bits 0–6            | bit 7                   |
 * |-----:|---------------------|-------------------------|
 * |    i | 7 bits of the value, least significant group first | 1 when another byte follows |
 *
 * A number below 2^53 takes at most 8 bytes.
 */
import { latin1View, type Latin1Buffer } from '../latin1.ts'
import { StrataError, type StrataErrorDetails } from '../errors.ts'

/** Most bytes a varint of a safe integer takes. */
export const VARINT_SIZE_BYTES_MAX = 8

/** Bytes `value` takes as a varint. */
export function varintSizeBytes(value: number): number {
  let sizeBytes = 1
  while (value >= 0x80) {
    value = Math.floor(value / 128)
    sizeBytes++
  }
  return sizeBytes
}

/** Writes `value` (a safe non-negative integer) at `position`; returns the position after it. */
export function writeVarint(target: Uint8Array, position: number, value: number): number {
  while (value >= 0x80000000) {
    target[position++] = (value % 128) | 0x80
    value = Math.floor(value / 128)
  }
  while (value >= 0x80) {
    target[position++] = (value & 0x7f) | 0x80
    value >>>= 7
  }
  target[position++] = value
  return position
}

/** Reads fields of a decoded (checksum-verified) block, throwing CORRUPTION past its end. */
export class ByteReader {
  readonly bytes: Latin1Buffer
  position: number
  readonly #details: StrataErrorDetails
  readonly #what: string

  constructor(bytes: Uint8Array, what: string, details: StrataErrorDetails) {
    this.bytes = latin1View(bytes)
    this.position = 0
    this.#what = what
    this.#details = details
  }

  /** Throws CORRUPTION with `reason`. */
  fail(reason: string): never {
    throw new StrataError('CORRUPTION', `Cannot decode ${this.#what}: ${reason}`, { details: this.#details })
  }

  atEnd(): boolean {
    return this.position >= this.bytes.length
  }

  u8(): number {
    if (this.position >= this.bytes.length) this.fail(`truncated at byte ${this.position}`)
    return this.bytes[this.position++]
  }

  varint(): number {
    let value = 0
    let scale = 1
    for (let i = 0; i < VARINT_SIZE_BYTES_MAX; i++) {
      const byte = this.u8()
      value += (byte & 0x7f) * scale
      if (byte < 0x80) {
        if (!Number.isSafeInteger(value)) this.fail(`varint ${value} exceeds 2^53`)
        return value
      }
      scale *= 128
    }
    return this.fail(`varint longer than ${VARINT_SIZE_BYTES_MAX} bytes at byte ${this.position}`)
  }

  /** A varint length, checked against `maxBytes` and the bytes left. */
  length(maxBytes: number): number {
    const sizeBytes = this.varint()
    if (sizeBytes > maxBytes) this.fail(`length ${sizeBytes} exceeds ${maxBytes}`)
    if (this.position + sizeBytes > this.bytes.length) this.fail(`length ${sizeBytes} runs past the end`)
    return sizeBytes
  }

  /** `sizeBytes` bytes as a latin1 string. */
  latin1(sizeBytes: number): string {
    if (this.position + sizeBytes > this.bytes.length) this.fail(`string of ${sizeBytes} bytes runs past the end`)
    const text = this.bytes.latin1Slice(this.position, this.position + sizeBytes)
    this.position += sizeBytes
    return text
  }
}
