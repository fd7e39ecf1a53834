/**
 * Per-4 KiB-block cost of the integrity stack and of its parts, side by side in one run, so the
 * ratios (full pipeline vs the bound computed from its parts; ECC overhead vs its parity share;
 * IntegrityCodec with every axis off vs PlainCodec) come from the same machine state.
 * Not a test: it times things and prints them. Run:
 *   node --import tsx engine/transform/pipeline.bench.ts
 * The machine is shared and load drifts, so tasks are interleaved: ROUNDS rounds each run every
 * task for STRATA_BENCH_TIME_MS (default 100); the table shows each task's median round, and each
 * ratio is computed within every round and reported as the median over rounds (bench-rounds.ts).
 */
import assert from 'node:assert/strict'
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto'
import { compress as zstdCompress, decompress as zstdDecompress } from 'zstd-napi'
import { xxh3128 } from '../checksum/xxh3.ts'
import { medianOfRounds, medianRoundRatio, roundsUs } from './bench-rounds.ts'
import { BlockType, type BlockContext } from './block-codec.ts'
import type { EccConfig } from './ecc.ts'
import { IntegrityCodec } from './pipeline.ts'
import { PlainCodec } from './plain-codec.ts'
import { TestRandom } from './test-random.ts'

const BLOCK_SIZE_BYTES = 4096
const BLOCK_COUNT = 64 // rotate over several blocks so no single buffer stays hot
const timeMs = Number(process.env.STRATA_BENCH_TIME_MS ?? 100)
const ROUNDS = Number(process.env.STRATA_BENCH_ROUNDS ?? 7)
const context: BlockContext = { fileNumber: 1, blockType: BlockType.Data, fileName: 'bench.sst', offsetBytes: 0 }
const random = new TestRandom(7)
const blocks = Array.from({ length: BLOCK_COUNT }, () => random.compressibleBytes(BLOCK_SIZE_BYTES))
const key = random.bytes(32)
const keyObject = createSecretKey(key)
const keyChain = { keys: [{ epoch: 1, key }], activeEpoch: 1 }
const nonce = random.bytes(12)
const aad = random.bytes(32)

const full = { compression: { kind: 'zstd', level: 3 } as const, encryption: { suite: 'aes-256-gcm' as const, keyChain } }
const eccs: Record<string, EccConfig> = {
  'rs(8,2)': { kind: 'reed-solomon', dataShards: 8, parityShards: 2 },
  'rs(4,2)': { kind: 'reed-solomon', dataShards: 4, parityShards: 2 },
  'xor(4)': { kind: 'xor', dataShards: 4 },
  'sec-ded': { kind: 'sec-ded' },
}
const pipeline = new IntegrityCodec(full)
const withEcc = Object.fromEntries(Object.entries(eccs).map(([name, ecc]) => [name, new IntegrityCodec({ ...full, ecc })]))
const plain = new PlainCodec()
const allOff = new IntegrityCodec()

// Inputs at the sizes the pipeline really hands each stage: zstd sees 4 KiB, AES the zstd frame,
// XXH3 the whole payload. The "literal" parts are all at 4 KiB, as the issue words it.
const frames = blocks.map((block) => zstdCompress(block, { compressionLevel: 3 }))
const encoded = blocks.map((block) => pipeline.encode(block, context))
const payloads = encoded.map((block) => block.subarray(24))
const sealedFrames = frames.map((frame) => aesSeal(frame))
const encodedEcc = Object.fromEntries(Object.entries(withEcc).map(([name, codec]) => [name, blocks.map((block) => codec.encode(block, context))]))
const plainBlocks = blocks.map((block) => plain.encode(block, context))

function aesSeal(plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', keyObject, nonce, { authTagLength: 16 })
  cipher.setAAD(aad)
  const out = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()])
  return out
}
function aesOpen(sealed: Uint8Array): Uint8Array {
  const decipher = createDecipheriv('aes-256-gcm', keyObject, nonce, { authTagLength: 16 })
  decipher.setAAD(aad)
  decipher.setAuthTag(sealed.subarray(sealed.length - 16))
  const out = decipher.update(sealed.subarray(0, sealed.length - 16))
  decipher.final()
  return out
}

let index = 0
const next = () => (index = (index + 1) % BLOCK_COUNT)
let sink = 0
const tasks: [string, () => void][] = []
const bench = {
  add(name: string, run: () => void) {
    tasks.push([name, run])
    return bench
  },
}
bench
  .add('encode: checksum xxh3-128 (4 KiB)', () => void (sink += xxh3128(blocks[next()])[0]))
  .add('encode: checksum xxh3-128 (payload)', () => void (sink += xxh3128(payloads[next()])[0]))
  .add('encode: zstd-3 compress (4 KiB)', () => void (sink += zstdCompress(blocks[next()], { compressionLevel: 3 }).length))
  .add('encode: aes-256-gcm seal (4 KiB)', () => void (sink += aesSeal(blocks[next()]).length))
  .add('encode: aes-256-gcm seal (zstd frame)', () => void (sink += aesSeal(frames[next()]).length))
  .add('encode: full pipeline', () => void (sink += pipeline.encode(blocks[next()], context).length))
for (const [name, codec] of Object.entries(withEcc)) bench.add(`encode: full pipeline + ${name}`, () => void (sink += codec.encode(blocks[next()], context).length))
bench
  .add('decode: checksum xxh3-128 (payload)', () => void (sink += xxh3128(payloads[next()])[0]))
  .add('decode: aes-256-gcm open (zstd frame)', () => void (sink += aesOpen(sealedFrames[next()]).length))
  .add('decode: zstd decompress (4 KiB)', () => void (sink += zstdDecompress(frames[next()]).length))
  .add('decode: full pipeline', () => void (sink += pipeline.decode(encoded[next()], context).length))
for (const name of Object.keys(withEcc)) bench.add(`decode: full pipeline + ${name}`, () => void (sink += withEcc[name].decode(encodedEcc[name][next()], context).length))
bench
  .add('decode: PlainCodec (4 KiB)', () => void (sink += plain.decode(plainBlocks[next()], context).length))
  .add('decode: IntegrityCodec all axes off (4 KiB)', () => void (sink += allOff.decode(plainBlocks[next()], context).length))
  .add('encode: PlainCodec (4 KiB)', () => void (sink += plain.encode(blocks[next()], context).length))
  .add('encode: IntegrityCodec all axes off (4 KiB)', () => void (sink += allOff.encode(blocks[next()], context).length))

// Each benchmark checks its own results before timing anything.
for (let k = 0; k < BLOCK_COUNT; k++) {
  assert.deepEqual(pipeline.decode(encoded[k], context), blocks[k])
  for (const name of Object.keys(withEcc)) assert.deepEqual(withEcc[name].decode(encodedEcc[name][k], context), blocks[k])
  assert.deepEqual(aesOpen(sealedFrames[k]), Buffer.from(frames[k]))
}

const rounds = await roundsUs(tasks, ROUNDS, timeMs)
const meanUs = medianOfRounds(rounds)
const us = (name: string) => meanUs.get(name) as number
console.log(`\n4 KiB compressible blocks (zstd-3 ratio ${(BLOCK_SIZE_BYTES / (frames.reduce((s, f) => s + f.length, 0) / BLOCK_COUNT)).toFixed(2)}), median of ${ROUNDS} interleaved rounds of ${timeMs} ms per task, sink ${sink % 7}`)
console.log('| task | µs/block (median round mean) | blocks/s |\n|---|---:|---:|')
for (const [name, value] of meanUs) console.log(`| ${name} | ${value.toFixed(2)} | ${Math.round(1e6 / value).toLocaleString('en-US')} |`)

type Us = (name: string) => number
/** Σparts / pipeline: the pipeline's throughput as a share of the bound its parts allow. */
function ratioLine(label: string, pipeline: string, parts: readonly string[]): void {
  const share = (us: Us) => parts.reduce((sum, part) => sum + us(part), 0) / us(pipeline)
  const partsUs = parts.reduce((sum, part) => sum + us(part), 0)
  console.log(`${label}: parts ${partsUs.toFixed(2)} µs, pipeline ${us(pipeline).toFixed(2)} µs (median rounds) → ${(100 * medianRoundRatio(rounds, share)).toFixed(1)}% of the bound (median of ${ROUNDS} per-round ratios)`)
}
console.log('\nFull pipeline vs the bound from its parts (throughput ratio = Σparts / pipeline):')
ratioLine('encode, parts at pipeline sizes', 'encode: full pipeline', ['encode: checksum xxh3-128 (payload)', 'encode: zstd-3 compress (4 KiB)', 'encode: aes-256-gcm seal (zstd frame)'])
ratioLine('encode, parts all at 4 KiB', 'encode: full pipeline', ['encode: checksum xxh3-128 (4 KiB)', 'encode: zstd-3 compress (4 KiB)', 'encode: aes-256-gcm seal (4 KiB)'])
ratioLine('decode, parts at pipeline sizes', 'decode: full pipeline', ['decode: checksum xxh3-128 (payload)', 'decode: zstd decompress (4 KiB)', 'decode: aes-256-gcm open (zstd frame)'])

console.log('\nECC overhead vs its parity share (share = ECC region bytes / protected bytes):')
for (const name of Object.keys(withEcc)) {
  const sample = encodedEcc[name][0]
  const protectedSizeBytes = 24 + new DataView(sample.buffer, sample.byteOffset).getUint32(4, true)
  const share = (sample.length - protectedSizeBytes) / protectedSizeBytes
  for (const side of ['encode', 'decode']) {
    const extra = medianRoundRatio(rounds, (us) => us(`${side}: full pipeline + ${name}`) / us(`${side}: full pipeline`) - 1)
    console.log(`${side} ${name}: +${(100 * extra).toFixed(1)}% time, parity share ${(100 * share).toFixed(1)}% → ${extra <= share ? 'within' : 'OVER'}`)
  }
}
const offVsPlain = (side: string) => medianRoundRatio(rounds, (us) => us(`${side}: IntegrityCodec all axes off (4 KiB)`) / us(`${side}: PlainCodec (4 KiB)`))
console.log(`\nAll axes off vs PlainCodec: decode ${offVsPlain('decode').toFixed(2)}x, encode ${offVsPlain('encode').toFixed(2)}x the time`)
