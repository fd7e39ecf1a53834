/**
 * Decoder fuzzing shared by test/fuzz-decoders.test.ts (bounded) and scripts/reliability.ts.
 *
 * Every decoder of bytes that come from disk gets seeded inputs of two kinds: mutations of a
 * valid encoding (bit flips, forged length fields, truncation, extension, splices, and for
 * checksummed envelopes a resealed checksum so the layers behind it are reached too) and
 * random bytes. The contract checked for each input: the decoder returns a result (consumed
 * fully, iterators walked to the end) or throws a StrataError; never another throw, never a
 * hang (the driver runs in a worker with a watchdog), never a huge allocation (array-buffer
 * memory is sampled after every input against ARRAY_BUFFER_BYTES_MAX).
 */
import { Buffer } from 'node:buffer'
import { isStrataError, StrataError } from '../../engine/errors.ts'
import { MemVfs } from '../../engine/vfs/mem-vfs.ts'
import { WalWriter, readWal } from '../../engine/wal/mod.ts'
import { encodeBatch, decodeBatch, OpKind, type BatchOp } from '../../engine/batch/write-batch.ts'
import { encodeVersionEdit, decodeVersionEdit } from '../../engine/manifest/edit-codec.ts'
import type { VersionEdit } from '../../engine/manifest/version-edit.ts'
import { TableWriter, TableReader } from '../../engine/table/mod.ts'
import { encodeIndex, decodeIndex } from '../../engine/table/index-block.ts'
import { encodeFilter, decodeFilter } from '../../engine/table/filter.ts'
import { encodeFooter, decodeFooter } from '../../engine/table/footer.ts'
import { encodeProperties, decodeProperties, type TableProperties } from '../../engine/table/properties.ts'
import { encodeRangeTombstones, decodeRangeTombstones } from '../../engine/table/range-tombstone-block.ts'
import { decodeDataBlock, BlockCursor } from '../../engine/table/block.ts'
import { BlockBuilder } from '../../engine/table/block-builder.ts'
import { BlockCache } from '../../engine/cache/mod.ts'
import { EntryKind } from '../../engine/entry.ts'
import { xxh3128 } from '../../engine/checksum/xxh3.ts'
import { PlainCodec } from '../../engine/transform/plain-codec.ts'
import { IntegrityCodec } from '../../engine/transform/pipeline.ts'
import { BlockType, type BlockCodec, type BlockContext } from '../../engine/transform/block-codec.ts'
import { encodeBlobHandle, decodeBlobHandle } from '../../blobtree/handle.ts'
import { BlobFileWriter, BlobFileReader, scanBlobFile } from '../../blobtree/blob-file/mod.ts'
import { parseFrameHeader, decodeFileHeader, decodeFooter as decodeBlobFooter, FRAME_HEADER_SIZE_BYTES } from '../../blobtree/blob-file/format.ts'
import { Rng } from './seed.ts'

/** A decoder under fuzz: valid samples to mutate and the call that must behave. */
export interface FuzzTarget {
  name: string
  /** Valid encodings (built once). */
  samples: Uint8Array[]
  /** Decodes and consumes the result fully; throws whatever the decoder throws. */
  decode(bytes: Uint8Array): unknown
  /** For checksummed envelopes: recompute the checksum so mutations reach the layers behind it. */
  reseal?(bytes: Uint8Array): Uint8Array
  /**
   * The raw bytes the samples encode: a decode that succeeds must return one of them (corrupt
   * data is never returned), unless the input was resealed and the target is `forgeable`.
   */
  originals?: Uint8Array[]
  /** A resealed checksum lets forged bytes through (no MAC): true for unencrypted envelopes. */
  forgeable?: boolean
}

/** Per-target counts. */
export interface FuzzTargetReport {
  name: string
  inputCount: number
  validCount: number
  errorCodes: Record<string, number>
}

/** Bound on array-buffer memory after any one input: a forged length must not allocate more. */
export const ARRAY_BUFFER_BYTES_MAX = 512 * 1024 * 1024

/** One input of at most a few KiB must decode fast; slower means a loop a forged field drives. */
export const INPUT_TIME_MS_MAX = 2000

const context: BlockContext = { fileNumber: 12, blockType: BlockType.Data, fileName: '000012.sst', offsetBytes: 0 }
const details = { fileName: 'fuzz' }

/** A BlockCodec that stores raw bytes as they are: mutations hit the table parsers directly. */
class IdentityCodec implements BlockCodec {
  encode(raw: Uint8Array): Uint8Array {
    return copyOf(raw)
  }
  decode(onDisk: Uint8Array): Uint8Array {
    // A copy, as PlainCodec's decode is: readers may reuse the buffer they read into.
    return copyOf(onDisk)
  }
}

/** A fresh copy as a plain Uint8Array (Buffer#slice would return a view, not a copy). */
function copyOf(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes)
}

function latin1(text: string): Uint8Array {
  return Buffer.from(text, 'latin1')
}

function fileBytes(vfs: MemVfs, filePath: string): Uint8Array {
  const file = vfs.openRead(filePath)
  const bytes = new Uint8Array(file.sizeBytes())
  file.read(bytes, 0)
  file.close()
  return bytes
}

function memFile(bytes: Uint8Array, filePath: string): MemVfs {
  const vfs = new MemVfs()
  const file = vfs.create(filePath)
  file.append([bytes])
  file.close()
  return vfs
}

function sampleOps(rng: Rng): BatchOp[] {
  const ops: BatchOp[] = []
  for (let count = 1 + rng.below(6); count > 0; count--) {
    const roll = rng.below(4)
    const key = `key${rng.below(1000)}\u00ff`
    if (roll === 0) ops.push({ kind: OpKind.Delete, key, value: new Uint8Array(0) })
    else if (roll === 1) ops.push({ kind: OpKind.RangeDelete, key: 'a', value: latin1('b') })
    else ops.push({ kind: roll === 2 ? OpKind.Put : OpKind.BlobHandle, key, value: latin1('v'.repeat(rng.below(40))) })
  }
  return ops
}

function sampleEdit(): VersionEdit {
  return {
    logNumber: 9,
    nextFileNumber: 2 ** 40 + 3,
    lastSeqno: 1234,
    addedTables: [{ level: 0, fileNumber: 12, sizeBytes: 4096, smallestKey: 'a', largestKey: 'm\u00ff', smallestSeqno: 1, largestSeqno: 100, entryCount: 10, tombstoneCount: 1, rangeTombstoneCount: 0 }],
    removedTables: [{ level: 2, fileNumber: 7 }],
    addedBlobFiles: [{ fileNumber: 13, sizeBytes: 5 << 20, valueCount: 77, totalValueBytes: 4 << 20 }],
    removedBlobFiles: [8, 10],
    blobStaleBytes: [{ fileNumber: 13, staleBytesDelta: 4096 }],
    compactPointers: [{ level: 1, key: 'q\u0080' }],
  }
}

function sampleProperties(): TableProperties {
  return {
    formatVersion: 1, fileNumber: 7, smallestKey: 'a', largestKey: 'z\u00ff', smallestSeqno: 1, largestSeqno: 99,
    entryCount: 50, tombstoneCount: 3, blobHandleCount: 2, rangeTombstoneCount: 1, dataBlockCount: 3,
    rawKeySizeBytes: 400, rawValueSizeBytes: 2000, dataSizeBytes: 3000, indexSizeBytes: 90, filterSizeBytes: 64,
    blockSizeBytes: 1024, restartInterval: 16, filterBitsPerKey: 10, creationTimeMs: 1_700_000_000_000, creator: 'strata fuzz',
  }
}

function dataBlockSample(rng: Rng): Uint8Array {
  const builder = new BlockBuilder(1 + rng.below(4), 4096)
  const keys = new Set<string>()
  while (keys.size < 5 + rng.below(30)) keys.add(`key${rng.below(10000)}`)
  for (const key of [...keys].sort()) builder.add(key, 1 + rng.below(100), rng.chance(0.2) ? EntryKind.Delete : EntryKind.Put, latin1('v'.repeat(rng.below(20))))
  return copyOf(builder.finish())
}

/** Recomputes a block envelope's checksum (and, without ECC, its payload size) after tampering. */
function resealEnvelope(block: Uint8Array): Uint8Array {
  if (block.length < 24) return block
  const out = copyOf(block)
  const view = new DataView(out.buffer)
  if ((out[2] & 4) === 0) view.setUint32(4, out.length - 24, true)
  const payloadEnd = Math.min(out.length, 24 + view.getUint32(4, true))
  out.set(xxh3128(out.subarray(0, 8), out.subarray(24, payloadEnd)), 8)
  return out
}

async function tableSample(rng: Rng, codec: BlockCodec, perKeyChecksums = false): Promise<Uint8Array> {
  const vfs = new MemVfs()
  const file = vfs.create('/000007.sst')
  const writer = new TableWriter(file, { fileNumber: 7, codec, blockSizeBytes: 256, restartInterval: 4, perKeyChecksums })
  const keys = new Set<string>()
  while (keys.size < 30 + rng.below(40)) keys.add(`k${rng.below(100000)}`)
  for (const key of [...keys].sort()) writer.add(key, 5, rng.chance(0.1) ? EntryKind.Delete : EntryKind.Put, latin1('v'.repeat(rng.below(30))))
  writer.addRangeTombstone({ start: 'k1', end: 'k2', seqno: 3 })
  await writer.finish()
  file.close()
  return fileBytes(vfs, '/000007.sst')
}

function readTable(bytes: Uint8Array, codec: BlockCodec): number {
  const reader = TableReader.open(memFile(bytes, '/000007.sst'), '/000007.sst', 7, { codec, blockCache: new BlockCache() })
  let count = 0
  try {
    const iterator = reader.iterator()
    for (iterator.seekToFirst(); iterator.valid(); iterator.next()) count += iterator.value().length + iterator.key().length
    for (iterator.seekToLast(); iterator.valid() && count < 1e6; iterator.prev()) count++
    iterator.seek('k5')
    iterator.close()
    count += reader.get('k5', 10)?.value.length ?? 0
    count += reader.rangeTombstones.length
  } finally {
    reader.close()
  }
  return count
}

async function blobSample(rng: Rng, finish: boolean): Promise<Uint8Array> {
  const vfs = new MemVfs()
  const file = vfs.create('/000009.blob')
  const writer = BlobFileWriter.create(file, { fileNumber: 9 })
  for (let count = 2 + rng.below(5); count > 0; count--) writer.add(latin1(`key${count}`), latin1('x'.repeat(10 + rng.below(200))))
  if (finish) await writer.finish()
  else await writer.sync()
  writer.close()
  return fileBytes(vfs, '/000009.blob')
}

function readBlobFile(bytes: Uint8Array): number {
  const vfs = memFile(bytes, '/000009.blob')
  const reader = BlobFileReader.open(vfs.openRead('/000009.blob'), { expectedFileNumber: 9 })
  let total = 0
  try {
    const scan = scanBlobFile(reader)
    for (const frame of scan) {
      total += frame.value?.length ?? 0
      total += reader.read(frame.handle, frame.key).length
    }
  } finally {
    reader.close()
  }
  return total
}

/** Builds every target; samples come from `seed`. */
export async function buildTargets(seed: number): Promise<FuzzTarget[]> {
  const rng = new Rng(seed)
  const targets: FuzzTarget[] = []

  targets.push({
    name: 'write batch (decodeBatch)',
    samples: Array.from({ length: 4 }, () => encodeBatch(1 + rng.below(1e6), sampleOps(rng))),
    decode: (bytes) => decodeBatch(bytes, 'fuzz').ops.length,
  })

  const walSamples: Uint8Array[] = []
  for (let i = 0; i < 3; i++) {
    const vfs = new MemVfs()
    const wal = WalWriter.create(vfs, '/000005.wal', 5)
    for (let count = 1 + rng.below(5); count > 0; count--) wal.add(encodeBatch(1 + i * 100, sampleOps(rng)))
    await wal.close()
    walSamples.push(fileBytes(vfs, '/000005.wal'))
  }
  targets.push({
    name: 'WAL file (readWal, then decodeBatch)',
    samples: walSamples,
    decode: async (bytes) => {
      const result = await readWal(memFile(bytes, '/000005.wal'), '/000005.wal', { onTornTail: 'report', expectedLogNumber: 5 })
      for (const payload of result.payloads) decodeBatch(payload, 'fuzz')
      return result.payloads.length
    },
  })

  targets.push({
    name: 'manifest edit (decodeVersionEdit)',
    samples: [encodeVersionEdit(sampleEdit()), encodeVersionEdit({ logNumber: 3, removedTables: [{ level: 1, fileNumber: 2 }] })],
    decode: (bytes) => decodeVersionEdit(bytes, { fileName: 'MANIFEST-fuzz', recordIndex: 0 }),
  })

  const identity = new IdentityCodec()
  const plain = new PlainCodec()
  targets.push({
    name: 'table, raw blocks (footer, index, filter, properties, data, range tombstones)',
    samples: [await tableSample(rng, identity), await tableSample(rng, identity)],
    decode: (bytes) => readTable(bytes, identity),
  })
  targets.push({
    name: 'table, checksummed blocks (PlainCodec)',
    samples: [await tableSample(rng, plain)],
    decode: (bytes) => readTable(bytes, plain),
  })
  targets.push({
    name: 'table format v2 (per-KV checksums), raw blocks',
    samples: [await tableSample(rng, identity, true)],
    decode: (bytes) => readTable(bytes, identity),
  })

  const hashes = Uint32Array.from({ length: 100 }, () => rng.u32())
  targets.push({ name: 'table index block (decodeIndex)', samples: [encodeIndex(['a', 'b\u00ff', 'c'], [{ offsetBytes: 0, sizeBytes: 100 }, { offsetBytes: 100, sizeBytes: 50 }, { offsetBytes: 150, sizeBytes: 70 }])], decode: (bytes) => decodeIndex(bytes, details, 220) })
  targets.push({ name: 'table filter block (decodeFilter)', samples: [encodeFilter(hashes, hashes.length, 10)], decode: (bytes) => decodeFilter(bytes, details) })
  targets.push({ name: 'table footer (decodeFooter)', samples: [encodeFooter({ index: { offsetBytes: 1000, sizeBytes: 80 }, filter: { offsetBytes: 900, sizeBytes: 100 }, properties: { offsetBytes: 1080, sizeBytes: 200 }, rangeTombstones: { offsetBytes: 0, sizeBytes: 0 } })], decode: (bytes) => decodeFooter(bytes, 'fuzz', 0) })
  targets.push({ name: 'table properties block (decodeProperties)', samples: [encodeProperties(sampleProperties())], decode: (bytes) => decodeProperties(bytes, details) })
  targets.push({ name: 'table range-tombstone block (decodeRangeTombstones)', samples: [encodeRangeTombstones([{ start: 'a', end: 'c', seqno: 9 }, { start: 'b', end: 'z\u00ff', seqno: 4 }])], decode: (bytes) => decodeRangeTombstones(bytes, details) })
  targets.push({
    name: 'table data block (decodeDataBlock)',
    samples: [dataBlockSample(rng), dataBlockSample(rng)],
    decode: (bytes) => {
      const block = decodeDataBlock(bytes, 'fuzz', 0)
      const cursor = new BlockCursor()
      cursor.attach(block)
      let total = 0
      for (cursor.seekToFirst(); cursor.valid(); cursor.next()) total += cursor.key().length + cursor.value().length
      for (cursor.seekToLast(); cursor.valid() && total < 1e7; cursor.prev()) total++
      cursor.seek('key5')
      return total
    },
  })

  targets.push({
    name: 'blob handle (decodeBlobHandle)',
    samples: [encodeBlobHandle({ fileNumber: 9, offsetBytes: 123456, frameSizeBytes: 300, rawValueSizeBytes: 250 }), encodeBlobHandle({ fileNumber: 2 ** 40, offsetBytes: 2 ** 33, frameSizeBytes: 1 << 20, rawValueSizeBytes: 1 << 20 })],
    decode: (bytes) => decodeBlobHandle(bytes),
  })
  const blobFiles = [await blobSample(rng, true), await blobSample(rng, false)]
  targets.push({ name: 'blob file (header, frames, footer, scan and read)', samples: blobFiles, decode: (bytes) => readBlobFile(bytes) })
  targets.push({
    name: 'blob frame header (parseFrameHeader) and file header / footer',
    samples: [copyOf(blobFiles[0].subarray(0, 64 + FRAME_HEADER_SIZE_BYTES))],
    decode: (bytes) => {
      const outcomes: unknown[] = []
      for (const decode of [() => decodeFileHeader(bytes, 'fuzz'), () => decodeBlobFooter(bytes, 'fuzz'), () => parseFrameHeader(bytes.subarray(0, FRAME_HEADER_SIZE_BYTES))]) {
        try {
          outcomes.push(decode())
        } catch (error) {
          if (!isStrataError(error)) throw error
        }
      }
      return outcomes
    },
  })

  const key = new Uint8Array(32).fill(0x11)
  const envelopeCodecs: [string, BlockCodec][] = [
    ['plain', plain],
    ['zstd + aes-256-gcm + reed-solomon', new IntegrityCodec({ compression: { kind: 'zstd', level: 3 }, encryption: { suite: 'aes-256-gcm', keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } }, ecc: { kind: 'reed-solomon', dataShards: 4, parityShards: 2 } })],
    ['xchacha20-poly1305 + xor parity', new IntegrityCodec({ encryption: { suite: 'xchacha20-poly1305', keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } }, ecc: { kind: 'xor', dataShards: 4 } })],
    ['zstd + sec-ded', new IntegrityCodec({ compression: { kind: 'zstd', level: 1 }, ecc: { kind: 'sec-ded' } })],
    ['chacha20-poly1305', new IntegrityCodec({ encryption: { suite: 'chacha20-poly1305', keyChain: { keys: [{ epoch: 1, key }], activeEpoch: 1 } } })],
  ]
  const raw = latin1('block body '.repeat(60) + 'x'.repeat(rng.below(500)))
  const originals = [raw, copyOf(raw.subarray(0, 17))]
  for (const [label, codec] of envelopeCodecs) {
    targets.push({
      name: `block envelope (${label})`,
      samples: originals.map((bytes) => codec.encode(bytes, context)),
      decode: (bytes) => copyOf(codec.decode(bytes, context)),
      reseal: resealEnvelope,
      originals,
      forgeable: !label.includes('poly1305') && !label.includes('gcm'),
    })
  }
  return targets
}

const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]

/** One seeded input for `target`: a mutation of a sample (maybe resealed), or random bytes. */
export function makeInput(target: FuzzTarget, rng: Rng): { bytes: Uint8Array; resealed: boolean } {
  if (target.samples.length === 0 || rng.chance(0.15)) {
    const out = new Uint8Array(rng.below(rng.chance(0.8) ? 128 : 4096))
    for (let i = 0; i < out.length; i++) out[i] = rng.below(256)
    return { bytes: out, resealed: false }
  }
  let bytes = copyOf(rng.pick(target.samples))
  for (let count = 1 + (rng.chance(0.3) ? rng.below(4) : 0); count > 0; count--) bytes = mutate(bytes, rng)
  if (target.reseal !== undefined && rng.chance(0.5)) return { bytes: target.reseal(bytes), resealed: true }
  return { bytes, resealed: false }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0
}

function mutate(input: Uint8Array, rng: Rng): Uint8Array {
  if (input.length === 0) return Uint8Array.of(rng.below(256))
  const at = rng.below(input.length)
  switch (rng.below(8)) {
    case 0:
    case 1: {
      input[at] ^= 1 << rng.below(8)
      return input
    }
    case 2: {
      input[at] = rng.pick([0, 0xff, 0x7f, 0x80, 1])
      return input
    }
    case 3: {
      // A forged length or count: an interesting u32 at any offset.
      const out = copyOf(input)
      const view = new DataView(out.buffer)
      if (at + 4 <= out.length) view.setUint32(at, rng.pick(INTERESTING_U32), true)
      return out
    }
    case 4:
      return copyOf(input.subarray(0, at))
    case 5: {
      const extra = new Uint8Array(1 + rng.below(64))
      for (let i = 0; i < extra.length; i++) extra[i] = rng.below(256)
      return copyOf(Buffer.concat([input, extra]))
    }
    case 6: {
      // Splice: copy a chunk over another place (duplicated records, swapped blocks).
      const from = rng.below(input.length)
      const size = Math.min(1 + rng.below(64), input.length - from, input.length - at)
      const out = copyOf(input)
      out.copyWithin(at, from, from + size)
      return out
    }
    default: {
      const end = Math.min(input.length, at + 1 + rng.below(32))
      return copyOf(Buffer.concat([input.subarray(0, at), input.subarray(end)]))
    }
  }
}

/**
 * Runs `inputsPerTarget` inputs against every target. Calls `progress` every few inputs (the
 * watchdog's heartbeat). Throws an Error naming target, input index and seed on a violation.
 */
export async function runFuzz(seed: number, inputsPerTarget: number, progress: (targetName: string, index: number) => void = () => undefined): Promise<FuzzTargetReport[]> {
  const targets = await buildTargets(seed)
  const reports: FuzzTargetReport[] = []
  for (const [targetIndex, target] of targets.entries()) {
    const rng = new Rng((seed ^ Math.imul(targetIndex + 1, 0x85ebca6b)) >>> 0)
    const report: FuzzTargetReport = { name: target.name, inputCount: 0, validCount: 0, errorCodes: {} }
    for (let index = 0; index < inputsPerTarget; index++) {
      if (index % 32 === 0) progress(target.name, index)
      const { bytes: input, resealed } = makeInput(target, rng)
      const startedMs = performance.now()
      try {
        const result = await target.decode(input)
        report.validCount++
        if (target.originals !== undefined && !(resealed && target.forgeable === true)) {
          if (!target.originals.some((original) => sameBytes(original, result as Uint8Array))) {
            throw new Error(`fuzz ${target.name}: input ${index} (seed=${seed}) decoded to bytes the writer never wrote`)
          }
        }
      } catch (error) {
        if (error instanceof Error && error.message.startsWith('fuzz ')) throw error
        if (!(error instanceof StrataError)) {
          throw new Error(`fuzz ${target.name}: input ${index} (seed=${seed}, ${input.length} bytes, hex ${Buffer.from(input.subarray(0, 64)).toString('hex')}) threw a non-StrataError: ${String((error as Error)?.stack ?? error)}`)
        }
        report.errorCodes[error.code] = (report.errorCodes[error.code] ?? 0) + 1
      }
      report.inputCount++
      const elapsedMs = performance.now() - startedMs
      if (elapsedMs > INPUT_TIME_MS_MAX) {
        throw new Error(`fuzz ${target.name}: input ${index} (seed=${seed}, ${input.length} bytes) took ${Math.round(elapsedMs)} ms, over ${INPUT_TIME_MS_MAX}`)
      }
      const arrayBufferBytes = process.memoryUsage().arrayBuffers
      if (arrayBufferBytes > ARRAY_BUFFER_BYTES_MAX) {
        throw new Error(`fuzz ${target.name}: input ${index} (seed=${seed}) left ${arrayBufferBytes} bytes of array buffers, over ${ARRAY_BUFFER_BYTES_MAX}`)
      }
    }
    reports.push(report)
  }
  return reports
}
