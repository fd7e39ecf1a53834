// Goal: each forensics subcommand (inspect, stats, verify, scrub, dump-block) prints what it
// should on a small store, exits 0 / 1 / 2 as documented, and never writes to the store.
// Method: a store written through the public API in a temp directory (zstd + AES-256-GCM +
// Reed-Solomon, or plain), commands run in-process through runForensics with captured output;
// one run goes through bin/strata.ts to prove the dispatcher wiring. Bits are flipped on disk.
// An encrypted store's manifest is sealed: every store command needs the key file for it.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { after, before, describe, test } from 'node:test'
import { open, NodeVfs } from '../index.ts'
import type { IntegrityOptions } from '../engine/integrity-options.ts'
import { runForensics } from '../engine/forensics/mod.ts'
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
  const status = await runForensics(argv, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), vfs: new NodeVfs() })
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
