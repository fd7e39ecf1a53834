/**
 * Partial decode experiment (issue #3, "keep it only if the benchmark shows it pays"): does
 * stopping zstd once the front of a block is decoded save time on a point read or a short scan?
 *
 * For each table block size it times, side by side in one run (interleaved rounds, median):
 * - `full`: one-shot decompression of the whole block (what the read path does today);
 * - `front N`: streaming decompression (ZSTD_decompressStream) into an N-byte window, stopping
 *   after the first window: the best case of partial decode, a hit on the block's first entry;
 * - `half`: streaming until half the block is out: the average point read.
 * Each is measured on frames compressed the usual way and on frames cut into small zstd blocks
 * (`targetCBlockSize`), because zstd decodes a whole internal block (up to 128 KiB) before it
 * hands out any of it: without small internal blocks there is nothing to stop early.
 * What it does not count, and would only lower the gain: the checksum (XXH3-128 over the stored
 * bytes) and AEAD authentication must still cover the whole block before any byte is trusted.
 *
 * Run: node --import tsx engine/transform/partial-decode.bench.ts
 */
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { medianRoundsUs } from './bench-rounds.ts'
import { TestRandom } from './test-random.ts'

type ZstdBinding = typeof import('zstd-napi/binding.js')
const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as ZstdBinding

const BLOCK_SIZES_BYTES = [4096, 16384, 65536]
const FRONT_WINDOW_BYTES = 512
const SMALL_ZSTD_BLOCK_BYTES = 1024
const BLOCK_COUNT = 32
const timeMs = Number(process.env.STRATA_BENCH_TIME_MS ?? 100)
const ROUNDS = Number(process.env.STRATA_BENCH_ROUNDS ?? 5)
const random = new TestRandom(11)

function compress(block: Uint8Array, targetCBlockSize: number | undefined): Uint8Array {
  const context = new zstd.CCtx()
  context.setParameter(zstd.CParameter.compressionLevel, 3)
  if (targetCBlockSize !== undefined) context.setParameter(zstd.CParameter.targetCBlockSize, targetCBlockSize)
  const out = Buffer.alloc(zstd.compressBound(block.length))
  return out.subarray(0, context.compress2(out, block))
}

const dctx = new zstd.DCtx()

function decompressFull(frame: Uint8Array, rawSizeBytes: number): number {
  return dctx.decompress(Buffer.allocUnsafe(rawSizeBytes), frame)
}

/** Streams `frame` out until `wantedBytes` are decoded, then stops (and resets the context). */
function decompressFront(frame: Uint8Array, wantedBytes: number, windowBytes: number): number {
  const window = Buffer.allocUnsafe(windowBytes)
  let produced = 0
  let input = frame
  while (produced < wantedBytes) {
    const [, written, consumed] = dctx.decompressStream(window, input)
    produced += written
    input = input.subarray(consumed)
    if (written === 0 && consumed === 0) break
  }
  dctx.reset(zstd.ResetDirective.sessionOnly)
  return produced
}

const tasks: [string, () => void][] = []
let sink = 0
for (const sizeBytes of BLOCK_SIZES_BYTES) {
  const blocks = Array.from({ length: BLOCK_COUNT }, () => random.compressibleBytes(sizeBytes))
  for (const [layout, target] of [['one zstd block', undefined], [`${SMALL_ZSTD_BLOCK_BYTES} B zstd blocks`, SMALL_ZSTD_BLOCK_BYTES]] as const) {
    const frames = blocks.map((block) => compress(block, target))
    for (let k = 0; k < BLOCK_COUNT; k++) {
      assert.equal(decompressFull(frames[k], sizeBytes), sizeBytes)
      assert.ok(decompressFront(frames[k], FRONT_WINDOW_BYTES, FRONT_WINDOW_BYTES) >= FRONT_WINDOW_BYTES)
    }
    const ratio = frames.reduce((sum, frame) => sum + frame.length, 0) / (BLOCK_COUNT * sizeBytes)
    let index = 0
    const next = () => (index = (index + 1) % BLOCK_COUNT)
    const label = `${sizeBytes / 1024} KiB, ${layout} (ratio ${ratio.toFixed(2)})`
    tasks.push([`${label}: full`, () => void (sink += decompressFull(frames[next()], sizeBytes))])
    tasks.push([`${label}: front ${FRONT_WINDOW_BYTES} B`, () => void (sink += decompressFront(frames[next()], FRONT_WINDOW_BYTES, FRONT_WINDOW_BYTES))])
    tasks.push([`${label}: half`, () => void (sink += decompressFront(frames[next()], sizeBytes / 2, Math.min(sizeBytes / 2, 4096)))])
  }
}

let fullUs = 0
for (const [name, us] of await medianRoundsUs(tasks, ROUNDS, timeMs)) {
  if (name.endsWith(': full')) fullUs = us
  console.log(`${name.padEnd(60)} ${us.toFixed(2).padStart(8)} µs  ${(us / fullUs).toFixed(2)}x full`)
}
if (sink === -1) console.log(sink)
