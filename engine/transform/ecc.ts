/**
 * The ECC region of a block: parity (XOR or Reed-Solomon) or SEC-DED check bytes over the
 * protected bytes (the whole envelope up to the end of the payload, header and checksum
 * included), then a 16-byte trailer that says how to use them. The trailer sits at the very end
 * of the block and carries its own CRC-32, so a reader finds it even when the header itself is
 * damaged (a flipped flags or size field is repaired like any other byte).
 *
 * ECC trailer (docs/formats/block.md §5):
 * | offset | size | field              | encoding                                        |
 * |-------:|-----:|--------------------|-------------------------------------------------|
 * |      0 |    4 | magic              | "SECC"                                          |
 * |      4 |    1 | scheme             | u8: 1 xor, 2 reed-solomon, 3 sec-ded             |
 * |      5 |    1 | dataShardCount     | u8, 0 for sec-ded                               |
 * |      6 |    1 | parityShardCount   | u8, 0 for sec-ded                               |
 * |      7 |    1 | reserved           | zero                                            |
 * |      8 |    4 | protectedSizeBytes | u32 LE, header + payload bytes the ECC covers    |
 * |     12 |    4 | trailerCrc         | CRC-32 (zlib) of trailer bytes 0–11, u32 LE      |
 */
import assert from 'node:assert/strict'
import { Buffer } from 'node:buffer'
import { crc32 } from 'node:zlib'
import { StrataError } from '../errors.ts'
import { computeParity, isValidParityScheme, paritySizeOf, repairFromParity, type ParityScheme } from './parity.ts'
import { computeSecDed, correctSecDed, secDedSizeOf } from './sec-ded.ts'

/** The ECC a codec writes. */
export type EccConfig = ParityScheme | { kind: 'sec-ded' }
/** Which mechanism repaired a block. */
export type RepairKind = EccConfig['kind']

export const ECC_TRAILER_SIZE_BYTES = 4 + 1 + 1 + 1 + 1 + 4 + 4
const ECC_MAGIC = [0x53, 0x45, 0x43, 0x43]
const SCHEME_ID: Readonly<Record<RepairKind, number>> = { xor: 1, 'reed-solomon': 2, 'sec-ded': 3 }

/** @throws {StrataError} `INVALID_ARGUMENT` for shard counts out of range. */
export function validateEccConfig(config: EccConfig): void {
  if (config.kind === 'sec-ded') return
  if (config.kind !== 'xor' && config.kind !== 'reed-solomon') {
    throw new StrataError('INVALID_ARGUMENT', `Cannot configure ECC: unknown kind ${String((config as { kind: unknown }).kind)}`)
  }
  if (!isValidParityScheme(config)) {
    throw new StrataError('INVALID_ARGUMENT', `Cannot configure ECC: shard counts ${JSON.stringify(config)} out of range (1 ≤ D, 1 ≤ P ≤ 4, D + P ≤ 255)`)
  }
}

/** Size of the ECC region (check bytes + trailer) for `protectedSizeBytes`. */
export function eccRegionSizeOf(config: EccConfig, protectedSizeBytes: number): number {
  const checkSizeBytes = config.kind === 'sec-ded' ? secDedSizeOf(protectedSizeBytes) : paritySizeOf(config, protectedSizeBytes)
  return checkSizeBytes + ECC_TRAILER_SIZE_BYTES
}

/** Writes the ECC region of `protectedBytes` into `out` at `offsetBytes` (zeroed on entry). */
export function writeEccRegion(config: EccConfig, protectedBytes: Uint8Array, out: Uint8Array, offsetBytes: number): void {
  const regionSizeBytes = eccRegionSizeOf(config, protectedBytes.length)
  assert(offsetBytes + regionSizeBytes <= out.length)
  if (config.kind === 'sec-ded') computeSecDed(protectedBytes, out, offsetBytes)
  else computeParity(config, protectedBytes, out, offsetBytes)
  const trailerStart = offsetBytes + regionSizeBytes - ECC_TRAILER_SIZE_BYTES
  const view = new DataView(out.buffer, out.byteOffset + trailerStart, ECC_TRAILER_SIZE_BYTES)
  out.set(ECC_MAGIC, trailerStart)
  view.setUint8(4, SCHEME_ID[config.kind])
  view.setUint8(5, config.kind === 'sec-ded' ? 0 : config.dataShards)
  view.setUint8(6, config.kind === 'sec-ded' ? 0 : config.kind === 'xor' ? 1 : config.parityShards)
  view.setUint8(7, 0)
  view.setUint32(8, protectedBytes.length, true)
  view.setUint32(12, crc32(out.subarray(trailerStart, trailerStart + 12)), true)
}

/** What a valid trailer says. */
export interface EccTrailer {
  config: EccConfig
  protectedSizeBytes: number
}

/** Reads the trailer at the end of `block`; undefined when there is none or it is damaged. */
export function readEccTrailer(block: Uint8Array): EccTrailer | undefined {
  if (block.length < ECC_TRAILER_SIZE_BYTES) return undefined
  const start = block.length - ECC_TRAILER_SIZE_BYTES
  const view = new DataView(block.buffer, block.byteOffset + start, ECC_TRAILER_SIZE_BYTES)
  for (let index = 0; index < 4; index++) if (block[start + index] !== ECC_MAGIC[index]) return undefined
  if (view.getUint32(12, true) !== crc32(block.subarray(start, start + 12))) return undefined
  const scheme = view.getUint8(4)
  const dataShards = view.getUint8(5)
  const parityShards = view.getUint8(6)
  const protectedSizeBytes = view.getUint32(8, true)
  let config: EccConfig
  if (scheme === SCHEME_ID['sec-ded'] && dataShards === 0 && parityShards === 0) config = { kind: 'sec-ded' }
  else if (scheme === SCHEME_ID.xor && parityShards === 1) config = { kind: 'xor', dataShards }
  else if (scheme === SCHEME_ID['reed-solomon']) config = { kind: 'reed-solomon', dataShards, parityShards }
  else return undefined
  if (config.kind !== 'sec-ded' && !isValidParityScheme(config)) return undefined
  if (view.getUint8(7) !== 0) return undefined
  if (protectedSizeBytes + eccRegionSizeOf(config, protectedSizeBytes) !== block.length) return undefined
  return { config, protectedSizeBytes }
}

/**
 * True when the ECC region of `block` (everything after its first `protectedSizeBytes`) is exactly
 * what `writeEccRegion` writes for those bytes under the scheme its trailer names. For scrubs of
 * blocks whose checksum passed: a flip in the check bytes or the trailer leaves the checksum
 * intact, so only recomputing finds it. A trailer that is damaged, names another protected size,
 * or does not add up to the block's size is a mismatch.
 */
export function eccRegionMatches(block: Uint8Array, protectedSizeBytes: number): boolean {
  const trailer = readEccTrailer(block)
  if (trailer === undefined || trailer.protectedSizeBytes !== protectedSizeBytes) return false
  const regionSizeBytes = block.length - protectedSizeBytes
  const expected = new Uint8Array(regionSizeBytes)
  writeEccRegion(trailer.config, block.subarray(0, protectedSizeBytes), expected, 0)
  return Buffer.compare(expected, block.subarray(protectedSizeBytes)) === 0
}

/** A verified repair. */
export interface EccRepair {
  /** The repaired protected bytes (header + payload), a new buffer. */
  repaired: Uint8Array
  kind: RepairKind
}

/**
 * Repairs the protected bytes of `block` with its ECC region; `verify` decides whether a
 * candidate is right (the block checksum). Undefined when the damage is beyond the ECC's power.
 */
export function repairWithEcc(block: Uint8Array, trailer: EccTrailer, verify: (candidate: Uint8Array) => boolean): EccRepair | undefined {
  const { config, protectedSizeBytes } = trailer
  const damaged = block.subarray(0, protectedSizeBytes)
  const checks = block.subarray(protectedSizeBytes, block.length - ECC_TRAILER_SIZE_BYTES)
  if (config.kind === 'sec-ded') {
    const corrected = correctSecDed(damaged, checks)
    if (corrected === undefined || !verify(corrected.data)) return undefined
    return { repaired: corrected.data, kind: 'sec-ded' }
  }
  const repaired = repairFromParity(config, damaged, checks, verify)
  return repaired === undefined ? undefined : { repaired, kind: config.kind }
}
