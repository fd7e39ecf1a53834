// Goal: each forensics subcommand (inspect, stats, verify, scrub, dump-block) prints what it
// should on a small store, exits 0 / 1 / 2 as documented, and never writes to the store.
// Method: a store written through the public API in a temp directory (zstd + AES-256-GCM +
// Reed-Solomon, or plain), commands run in-process through runForensics with captured output;
// one run goes through bin/strata.ts to prove the dispatcher wiring. Bits are flipped on disk.
// An encrypted store's manifest is sealed: every store command needs the key file for it.
// Stores with KV separation: verify and scrub check every blob file the manifest lists, frame by
// frame; bytes of the first frame's body or of its ECC region are flipped (located from the frame
// header, docs/formats/blob-file.md §3, and the block header, docs/formats/block.md).
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { open, NodeVfs } from '../index.ts'
import type { IntegrityOptions } from '../engine/integrity-options.ts'
import { runForensics } from '../engine/forensics/mod.ts'
import { checkBlobFile } from '../blobtree/mod.ts'
import { encodeAad } from '../engine/transform/aad.ts'

const KEY = new Uint8Array(32).map((_, index) => index)
const EPOCH = 5
const ENCRYPTED: IntegrityOptions = {
  compression: { kind: 'zstd' },
  encryption: { suite: 'aes-256-gcm', keys: [{ epoch: EPOCH, key: KEY }], activeEpoch: EPOCH },
  ecc: 'reed-solomon',
}
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-'))
after(() => fs.rmSync(root, { recursive: true, force: true }))

async function run(...argv: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = ''
  let stderr = ''
  const status = await runForensics(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), vfs: new NodeVfs(), checkBlobFile })
  return { status, stdout, stderr }
}

async function makeStore(name: string, integrity: IntegrityOptions | undefined): Promise<string> {
  const directory = path.join(root, name)
  const db = await open(directory, { memtableSizeBytes: 16 * 1024, blockSizeBytes: 1024, backgroundWork: false, integrity })
  for (let index = 0; index < 300; index++) await db.put(`key${String(index).padStart(3, '0')}`, `value ${index} `.repeat(5))
  await db.compact()
  await db.put('late', 'in level 0')
  await db.flush()
  await db.close()
  return directory
}

function tables(directory: string): string[] {
  return fs.readdirSync(directory).filter((name) => name.endsWith('.sst')).sort().map((name) => path.join(directory, name))
}

/** The largest table (the compacted one, in level 1). */
function bigTable(directory: string): string {
  return tables(directory).sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]
}

function snapshotOf(directory: string): string {
  return fs.readdirSync(directory).sort().map((name) => `${name}:${fs.statSync(path.join(directory, name)).size}:${fs.statSync(path.join(directory, name)).mtimeMs}`).join('\n')
}

describe('strata forensics subcommands', () => {
  let encrypted = ''
  let plain = ''
  const keyFile = path.join(root, 'key.hex')
  before(async () => {
    encrypted = await makeStore('encrypted', ENCRYPTED)
    plain = await makeStore('plain', undefined)
    fs.writeFileSync(keyFile, `${Buffer.from(KEY).toString('hex')}\n`)
  })

  test('inspect lists levels, tables, sizes and codecs, and leaves the store untouched', async () => {
    const before = snapshotOf(encrypted)
    // A single key without --epoch belongs to the manifest's epoch (5).
    const { status, stdout, stderr } = await run('inspect', encrypted, '--key-file', keyFile)
    assert.equal(status, 0, stderr)
    assert.match(stdout, /manifest {3}MANIFEST-\d+ \(encrypted\), last seqno 301/)
    assert.match(stdout, /level 0 {4}1 table\(s\)/)
    assert.match(stdout, /level 1 {4}1 table\(s\)/)
    assert.match(stdout, /300 entries {2}\[key000 \.\. key299\]/)
    assert.match(stdout, /zstd\+aes-256-gcm@5\+rs\(8,2\)/)
    assert.match(stdout, /blob files none/)
    assert.equal(snapshotOf(encrypted), before, 'no file written, created or removed')
    const json = JSON.parse((await run('inspect', plain, '--json')).stdout)
    assert.equal(json.levels[1].tables[0].entryCount, 300)
    assert.equal(json.levels[1].tables[0].codec, 'plain')
    assert.equal(json.manifestEncrypted, false)
  })

  test('stats sums tables per level', async () => {
    const { status, stdout } = await run('stats', plain)
    assert.equal(status, 0)
    assert.match(stdout, /tables {10}2, \d+ bytes, 301 entries/)
    const json = JSON.parse((await run('stats', plain, '--json')).stdout)
    assert.equal(json.entryCount, 301)
    assert.equal(json.lastSeqno, 301)
  })

  test('verify reports clean files, needs the key for encrypted ones', async () => {
    const clean = await run('verify', encrypted, '--key-file', keyFile, '--epoch', String(EPOCH))
    assert.equal(clean.status, 0, clean.stderr)
    assert.match(clean.stdout, /2 file\(s\): 2 clean, 0 ecc-damaged, 0 repaired, 0 unrecoverable/)
    // The sealed manifest is read first: without the key nothing is listed.
    const keyless = await run('verify', encrypted)
    assert.equal(keyless.status, 1)
    assert.equal(keyless.stdout, '')
    assert.match(keyless.stderr, /UNKNOWN_KEY_EPOCH: the manifest is encrypted; pass --key-file/)
    const wrongEpoch = await run('verify', encrypted, '--key-file', keyFile, '--epoch', '9')
    assert.equal(wrongEpoch.status, 1)
    assert.match(wrongEpoch.stderr, /UNKNOWN_KEY_EPOCH/)
  })

  test('an encrypted manifest: every store command says a key is needed, a wrong key is DECRYPT_FAILED, exit 1', async () => {
    const before = snapshotOf(encrypted)
    const wrongKeyFile = path.join(root, 'wrong-key.json')
    fs.writeFileSync(wrongKeyFile, JSON.stringify({ keys: [{ epoch: EPOCH, key: 'ab'.repeat(32) }] }))
    const chainFile = path.join(root, 'chain.json')
    fs.writeFileSync(chainFile, JSON.stringify({ activeEpoch: EPOCH, keys: [{ epoch: EPOCH, key: Buffer.from(KEY).toString('hex') }] }))
    for (const command of ['inspect', 'stats', 'verify', 'scrub']) {
      const keyless = await run(command, encrypted)
      assert.equal(keyless.status, 1, command)
      assert.match(keyless.stderr, /^strata \w+: UNKNOWN_KEY_EPOCH: the manifest is encrypted; pass --key-file/, command)
      const wrong = await run(command, encrypted, '--key-file', wrongKeyFile)
      assert.equal(wrong.status, 1, command)
      assert.match(wrong.stderr, /DECRYPT_FAILED/, command)
      assert.ok(!wrong.stderr.includes('ab'.repeat(32)), 'no key bytes in the message')
      const keyed = await run(command, encrypted, '--key-file', chainFile)
      assert.equal(keyed.status, 0, `${command}: ${keyed.stderr}`)
    }
    const stats = JSON.parse((await run('stats', encrypted, '--key-file', keyFile, '--json')).stdout)
    assert.equal(stats.entryCount, 301)
    // The plain store's manifest needs no key, and a key file does no harm.
    assert.equal((await run('stats', plain, '--key-file', keyFile)).status, 0)
    assert.equal(snapshotOf(encrypted), before, 'no file written, created or removed')
  })

  test('dump-block without the key shows suite, epoch, flags and the AAD; with it, decodes', async () => {
    const file = bigTable(encrypted)
    const fileNumber = Number(path.basename(file, '.sst'))
    const keyless = await run('dump-block', file, '--offset', '0')
    assert.equal(keyless.status, 0, keyless.stderr)
    assert.match(keyless.stdout, /type 1 \(Data\), flags 0x07 \(compressed, encrypted, parity\)/)
    assert.match(keyless.stdout, /suite aes-256-gcm \(1\), key epoch 5/)
    assert.match(keyless.stdout, /checksum {4}ok/)
    assert.match(keyless.stdout, /ecc {9}reed-solomon D=8 P=2/)
    assert.match(keyless.stdout, /not attempted/)
    const json = JSON.parse((await run('dump-block', file, '--offset', '0', '--json')).stdout)
    const expectedAad = encodeAad({
      blockFormatVersion: 1, blockType: 1, blockFlags: 7, fileNumber, keyEpoch: EPOCH, suiteId: 1,
      compressionType: 1, windowLog: 0, dictionaryId: 0, rawSizeBytes: json.compression.rawSizeBytes,
    })
    assert.equal(json.aadHex, Buffer.from(expectedAad).toString('hex'))
    const keyed = await run('dump-block', file, '--offset', '0', '--key-file', keyFile)
    assert.equal(keyed.status, 0, keyed.stderr)
    assert.match(keyed.stdout, new RegExp(`decoded {5}${json.compression.rawSizeBytes} raw bytes`))
    // The raw data block starts with the first key, "key000", in the clear.
    assert.match(keyed.stdout, new RegExp(`raw head .*${Buffer.from('key000').toString('hex')}`))
    const next = await run('dump-block', file, '--offset', String(json.sizeBytes))
    assert.equal(next.status, 0, 'the next block starts where this one ends')
    assert.match(next.stdout, new RegExp(`offset {6}${json.sizeBytes}`))
  })

  test('a flipped bit in an ECC region: verify and scrub say ecc-damaged, exit 0', async () => {
    const directory = await makeStore('damaged-region', ENCRYPTED)
    const file = bigTable(directory)
    const block = JSON.parse((await run('dump-block', file, '--offset', '0', '--json')).stdout)
    const bytes = fs.readFileSync(file)
    bytes[block.sizeBytes - 20] ^= 0x04 // a parity byte: the 16-byte trailer follows it
    fs.writeFileSync(file, bytes)
    const verified = await run('verify', directory, '--key-file', keyFile)
    assert.equal(verified.status, 0, verified.stdout)
    assert.match(verified.stdout, /L1 {2}ecc-damaged {2}1 block\(s\) with a damaged ECC region \(data intact, no longer repairable\), 300 entries/)
    assert.match(verified.stdout, /2 file\(s\): 1 clean, 1 ecc-damaged, 0 repaired, 0 unrecoverable/)
    const json = JSON.parse((await run('verify', directory, '--key-file', keyFile, '--json')).stdout)
    assert.deepEqual(json.files.map((f: { eccRegionsDamaged: number }) => f.eccRegionsDamaged).sort(), [0, 1])
    const scrubbed = await run('scrub', directory, '--key-file', keyFile)
    assert.equal(scrubbed.status, 0)
    assert.match(scrubbed.stdout, /block at 0 \(\d+ B, type 1\) {2}ecc-damaged/)
    assert.match(scrubbed.stdout, /2 file\(s\): 1 clean, 1 ecc-damaged, 0 repaired, 0 unrecoverable/)
  })

  test('a flipped bit: verify and scrub say repaired with ECC, unrecoverable without', async () => {
    const damagedEncrypted = await makeStore('damaged-encrypted', ENCRYPTED)
    const damagedPlain = await makeStore('damaged-plain', undefined)
    for (const directory of [damagedEncrypted, damagedPlain]) {
      const file = bigTable(directory)
      const bytes = fs.readFileSync(file)
      bytes[60] ^= 0x10
      fs.writeFileSync(file, bytes)
    }
    const repaired = await run('verify', damagedEncrypted, '--key-file', keyFile, '--epoch', '5')
    assert.equal(repaired.status, 0, repaired.stdout)
    assert.match(repaired.stdout, /repaired {2}1 block\(s\) fixed by ECC/)
    const scrubbed = await run('scrub', damagedEncrypted, '--key-file', keyFile, '--epoch', '5')
    assert.equal(scrubbed.status, 0)
    assert.match(scrubbed.stdout, /block at 0 \(\d+ B, type 1\) {2}repaired/)
    assert.match(scrubbed.stdout, /2 file\(s\): 1 clean, 0 ecc-damaged, 1 repaired, 0 unrecoverable/)
    const broken = await run('verify', damagedPlain)
    assert.equal(broken.status, 1)
    assert.match(broken.stdout, /unrecoverable {2}CHECKSUM_MISMATCH/)
    const brokenScrub = await run('scrub', damagedPlain, '--json')
    assert.equal(brokenScrub.status, 1)
    const report = JSON.parse(brokenScrub.stdout)
    assert.deepEqual(report.files.find((f: { status: string }) => f.status === 'unrecoverable').damaged.map((b: { offsetBytes: number; code: string }) => [b.offsetBytes, b.code]), [[0, 'CHECKSUM_MISMATCH']])
    const dump = await run('dump-block', bigTable(damagedPlain), '--offset', '0')
    assert.equal(dump.status, 1)
    assert.match(dump.stdout, /checksum {4}MISMATCH/)
  })

  test('usage errors exit 2 with the usage; --help exits 0; a missing store exits 1', async () => {
    for (const argv of [['inspect'], ['verify', 'a', 'b'], ['dump-block', bigTable(plain)], ['dump-block', bigTable(plain), '--offset', 'x'], ['stats', plain, '--bogus'], ['nonsense']]) {
      const { status, stderr } = await run(...argv)
      assert.equal(status, 2, argv.join(' '))
      assert.match(stderr, /Usage: strata/)
    }
    const help = await run('dump-block', '--help')
    assert.equal(help.status, 0)
    assert.match(help.stdout, /dump-block <file> --offset N/)
    const missing = await run('inspect', path.join(root, 'nowhere'))
    assert.equal(missing.status, 1)
    assert.match(missing.stderr, /NOT_FOUND|CORRUPTION/)
  })

  test('bin/strata.ts dispatches to the forensics commands', () => {
    const bin = path.join(import.meta.dirname, '..', 'bin', 'strata.ts')
    const result = spawnSync(process.execPath, ['--import', 'tsx', bin, 'stats', plain], { encoding: 'utf8', cwd: path.join(import.meta.dirname, '..') })
    assert.equal(result.status, 0, result.stderr)
    assert.match(result.stdout, /301 entries/)
    const usage = spawnSync(process.execPath, ['--import', 'tsx', bin, 'verify'], { encoding: 'utf8', cwd: path.join(import.meta.dirname, '..') })
    assert.equal(usage.status, 2)
  })
})

/** Blob file header, then frame header: keySizeBytes at 4, bodySizeBytes at 12 (blob-file.md §2–3). */
const BLOB_FILE_HEADER_SIZE_BYTES = 40
const FRAME_HEADER_SIZE_BYTES = 40
/** Block envelope header: payloadSizeBytes at 4 (block.md); an ECC region follows the payload. */
const BLOCK_HEADER_SIZE_BYTES = 24

/** A store of ten separated 600-byte values (key0 … key9, one sealed blob file) and one table. */
async function makeBlobStore(name: string, integrity: IntegrityOptions | undefined): Promise<{ directory: string; blobFile: string }> {
  const directory = path.join(root, name)
  const db = await open(directory, { integrity, kvSeparation: { minBlobSize: 100 } })
  for (let index = 0; index < 10; index++) await db.put(`key${index}`, Buffer.alloc(600, 65 + index))
  await db.put('inline', 'a small value stays in the table')
  await db.flush()
  await db.close()
  const blobs = fs.readdirSync(directory).filter((entry) => entry.endsWith('.blob'))
  assert.equal(blobs.length, 1)
  return { directory, blobFile: path.join(directory, blobs[0]) }
}

/** Where the first frame (key0's) starts, and its body and the body's ECC region. */
function firstFrame(file: string): { frameStartBytes: number; bodyStartBytes: number; payloadEndBytes: number } {
  const bytes = fs.readFileSync(file)
  const frameStartBytes = BLOB_FILE_HEADER_SIZE_BYTES
  const bodyStartBytes = frameStartBytes + FRAME_HEADER_SIZE_BYTES + bytes.readUInt32LE(frameStartBytes + 4)
  assert.equal(bytes.subarray(frameStartBytes + FRAME_HEADER_SIZE_BYTES, bodyStartBytes).toString(), 'key0')
  const payloadEndBytes = bodyStartBytes + BLOCK_HEADER_SIZE_BYTES + bytes.readUInt32LE(bodyStartBytes + 4)
  return { frameStartBytes, bodyStartBytes, payloadEndBytes }
}

function flipByte(file: string, offsetBytes: number, mask: number): void {
  const bytes = fs.readFileSync(file)
  bytes[offsetBytes] ^= mask
  fs.writeFileSync(file, bytes)
}

describe('strata verify and scrub of blob files', () => {
  const keyFile = path.join(root, 'blob-key.hex')
  before(() => fs.writeFileSync(keyFile, `${Buffer.from(KEY).toString('hex')}\n`))

  test('a clean KV-separated store: every table and blob file clean, exit 0, store untouched', async () => {
    const { directory, blobFile } = await makeBlobStore('blob-clean', undefined)
    const before = snapshotOf(directory)
    const verified = await run('verify', directory)
    assert.equal(verified.status, 0, verified.stdout + verified.stderr)
    assert.match(verified.stdout, new RegExp(`^${path.basename(blobFile)} {2}clean {2}10 frames$`, 'm'))
    assert.match(verified.stdout, /2 file\(s\): 2 clean, 0 ecc-damaged, 0 repaired, 0 unrecoverable/)
    const json = JSON.parse((await run('verify', directory, '--json')).stdout)
    assert.deepEqual(json.blobFiles.map((file: { file: string; status: string; sealed: boolean; frames: number }) => [file.file, file.status, file.sealed, file.frames]), [[path.basename(blobFile), 'clean', true, 10]])
    assert.equal(json.files.length, 1, 'the table')
    const scrubbed = await run('scrub', directory)
    assert.equal(scrubbed.status, 0)
    assert.match(scrubbed.stdout, new RegExp(`^${path.basename(blobFile)} {2}clean {2}10 frames$`, 'm'))
    assert.equal(snapshotOf(directory), before, 'no file written, created or removed')
  })

  test('a store without blob files reports no blob files', async () => {
    const directory = await makeStore('no-blobs', undefined)
    const json = JSON.parse((await run('verify', directory, '--json')).stdout)
    assert.deepEqual(json.blobFiles, [])
    assert.equal(json.cleanCount, 2)
    assert.deepEqual(JSON.parse((await run('scrub', directory, '--json')).stdout).blobFiles, [])
  })

  test('a flipped byte in a frame body without ECC: unrecoverable, naming the blob file, offset and key, exit 1', async () => {
    const { directory, blobFile } = await makeBlobStore('blob-body-plain', undefined)
    const frame = firstFrame(blobFile)
    flipByte(blobFile, frame.bodyStartBytes + 300, 0x10) // past the 32 body bytes the frame checksum covers
    const verified = await run('verify', directory)
    assert.equal(verified.status, 1, verified.stdout)
    const line = verified.stdout.split('\n').find((text) => text.startsWith(path.basename(blobFile)))
    assert.match(line ?? '', /unrecoverable {2}CHECKSUM_MISMATCH: Cannot read blob for key "key0" at offset 40 of .*\.blob: body:/)
    assert.ok(line?.includes(blobFile), line)
    assert.match(verified.stdout, /2 file\(s\): 1 clean, 0 ecc-damaged, 0 repaired, 1 unrecoverable/)
    const scrubbed = await run('scrub', directory)
    assert.equal(scrubbed.status, 1)
    assert.match(scrubbed.stdout, /unrecoverable {2}10 frames\n {2}frame at 40 \(\d+ B, key "key0"\) {2}unrecoverable CHECKSUM_MISMATCH\n/)
    const json = JSON.parse((await run('scrub', directory, '--json')).stdout)
    assert.equal(json.ok, false)
    assert.deepEqual(json.blobFiles[0].damagedFrames.map((f: { offsetBytes: number; key: string; code: string }) => [f.offsetBytes, f.key, f.code]), [[40, '"key0"', 'CHECKSUM_MISMATCH']])
    // bin/strata.ts hands blobtree's checker to the engine's CLI.
    const bin = spawnSync(process.execPath, ['--import', 'tsx', path.join(import.meta.dirname, '..', 'bin', 'strata.ts'), 'verify', directory], { encoding: 'utf8', cwd: path.join(import.meta.dirname, '..') })
    assert.equal(bin.status, 1, bin.stderr)
    assert.match(bin.stdout, /\.blob {2}unrecoverable {2}CHECKSUM_MISMATCH: Cannot read blob for key "key0"/)
  })

  test('a flipped byte in a frame header: unrecoverable, the rest of the file unchecked, exit 1', async () => {
    const { directory, blobFile } = await makeBlobStore('blob-header-plain', undefined)
    flipByte(blobFile, firstFrame(blobFile).frameStartBytes + 9, 0x01) // rawValueSizeBytes
    const verified = await run('verify', directory)
    assert.equal(verified.status, 1, verified.stdout)
    assert.match(verified.stdout, /\.blob {2}unrecoverable {2}CORRUPTION: Cannot scan blob file .* at offset 40: frame checksum mismatch; frames from offset 40 on unchecked/)
    const scrubbed = await run('scrub', directory)
    assert.match(scrubbed.stdout, /unrecoverable {2}0 frames\n {2}cannot read the frame at 40 \(CORRUPTION: .*\); the rest of the file is unchecked/)
  })

  test('a listed blob file that is missing is unrecoverable, exit 1', async () => {
    const { directory, blobFile } = await makeBlobStore('blob-missing', undefined)
    fs.rmSync(blobFile)
    const verified = await run('verify', directory)
    assert.equal(verified.status, 1, verified.stdout)
    assert.match(verified.stdout, new RegExp(`^${path.basename(blobFile)} {2}unrecoverable {2}[A-Z_]+: .*${path.basename(blobFile)}`, 'm'))
    const scrubbed = await run('scrub', directory)
    assert.equal(scrubbed.status, 1)
    assert.match(scrubbed.stdout, new RegExp(`^${path.basename(blobFile)} {2}unrecoverable {2}0 frames\\n {2}[A-Z_]+: `, 'm'))
  })

  test('with ECC a flipped byte in a body is repaired (exit 0), a flipped bit in its ECC region is ecc-damaged (exit 0)', async () => {
    const { directory, blobFile } = await makeBlobStore('blob-ecc', { ecc: 'reed-solomon' })
    const frame = firstFrame(blobFile)
    flipByte(blobFile, frame.bodyStartBytes + 300, 0x10)
    const repaired = await run('verify', directory)
    assert.equal(repaired.status, 0, repaired.stdout)
    assert.match(repaired.stdout, /\.blob {2}repaired {2}1 frame\(s\) fixed by ECC, 10 frames/)
    assert.match(repaired.stdout, /2 file\(s\): 1 clean, 0 ecc-damaged, 1 repaired, 0 unrecoverable/)
    const scrubbed = await run('scrub', directory)
    assert.match(scrubbed.stdout, /frame at 40 \(\d+ B, key "key0"\) {2}repaired/)
    flipByte(blobFile, frame.bodyStartBytes + 300, 0x10) // back
    flipByte(blobFile, frame.payloadEndBytes + 3, 0x04) // a parity byte
    const damaged = await run('verify', directory)
    assert.equal(damaged.status, 0, damaged.stdout)
    assert.match(damaged.stdout, /\.blob {2}ecc-damaged {2}1 frame\(s\) with a damaged ECC region \(data intact, no longer repairable\), 10 frames/)
    const json = JSON.parse((await run('verify', directory, '--json')).stdout)
    assert.deepEqual([json.ok, json.eccDamagedCount, json.blobFiles[0].eccRegionsDamaged], [true, 1, 1])
    assert.match((await run('scrub', directory)).stdout, /frame at 40 \(\d+ B, key "key0"\) {2}ecc-damaged/)
  })

  test('an encrypted KV store verifies with --key-file (a damaged body repaired) and fails typed without it', async () => {
    const { directory, blobFile } = await makeBlobStore('blob-encrypted', ENCRYPTED)
    const clean = await run('verify', directory, '--key-file', keyFile)
    assert.equal(clean.status, 0, clean.stdout + clean.stderr)
    assert.match(clean.stdout, /\.blob {2}clean {2}10 frames/)
    const keyless = await run('verify', directory)
    assert.equal(keyless.status, 1)
    assert.match(keyless.stderr, /UNKNOWN_KEY_EPOCH: the manifest is encrypted; pass --key-file/)
    flipByte(blobFile, firstFrame(blobFile).bodyStartBytes + 60, 0x08)
    const repaired = await run('verify', directory, '--key-file', keyFile)
    assert.equal(repaired.status, 0, repaired.stdout)
    assert.match(repaired.stdout, /\.blob {2}repaired {2}1 frame\(s\) fixed by ECC, 10 frames/)
  })

  test("a crashed store's unsealed blob file is checked up to its last whole frame, a torn tail is not damage", async () => {
    const directory = path.join(root, 'blob-open')
    const db = await open(directory, { kvSeparation: { minBlobSize: 100 } })
    for (let index = 0; index < 4; index++) await db.put(`key${index}`, Buffer.alloc(600, 65 + index), { sync: true })
    // The store is open: a read-only tool may look at it, and its active file is unsealed.
    const live = await run('verify', directory)
    assert.equal(live.status, 0, live.stdout + live.stderr)
    assert.match(live.stdout, /\.blob \(active, unsealed\) {2}clean {2}4 frames/)
    // A copy of the open store is what a crash leaves; a torn frame follows the last whole one.
    const crashed = path.join(root, 'blob-crashed')
    fs.cpSync(directory, crashed, { recursive: true })
    await db.close()
    const blobFile = path.join(crashed, fs.readdirSync(crashed).find((entry) => entry.endsWith('.blob'))!)
    const endBytes = fs.statSync(blobFile).size
    fs.appendFileSync(blobFile, Buffer.alloc(25, 1))
    const torn = await run('verify', crashed)
    assert.equal(torn.status, 0, torn.stdout)
    assert.match(torn.stdout, new RegExp(`\\.blob \\(active, unsealed\\) {2}clean {2}4 frames; checked up to offset ${endBytes}, the rest is a write in progress or cut short \\(25 trailing bytes are shorter than a frame header\\)`))
    const json = JSON.parse((await run('scrub', crashed, '--json')).stdout)
    assert.deepEqual([json.ok, json.blobFiles[0].sealed, json.blobFiles[0].stoppedAtBytes], [true, false, endBytes])
  })
})
