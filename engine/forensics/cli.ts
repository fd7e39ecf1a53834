/**
 * The forensics subcommands of `strata` (bin/strata.ts lazy-imports this file): inspect, verify,
 * scrub, dump-block, stats, wal, and repair (wal-cli.ts; the one command that writes). verify and scrub check tables and every blob file the manifest lists;
 * blob files through the checker bin/strata.ts hands in (blobtree's, so engine/ does not import
 * blobtree/). Every command but repair is read-only: the manifest is opened with
 * `readOnly: true` (no new manifest, no lock), tables and blocks are only read, so they are safe
 * on a store another process has open. Exit status: 0 no data lost (clean, ecc-damaged, or
 * repaired and verified by its checksum), 1 unrecoverable damage found or the store/file could
 * not be read (an encrypted manifest without --key-file among them: the
 * message names the key error and says to pass the key), 2 usage error.
 */
import path from 'node:path'
import { parseArgs } from 'node:util'
import { StrataError } from '../errors.ts'
import { parseFileName, tableFileName, blobFileName } from '../manifest/mod.ts'
import { FOOTER_SIZE_BYTES } from '../table/mod.ts'
import { NodeVfs, type Vfs } from '../vfs/mod.ts'
import { anatomize, formatAnatomy } from './block-anatomy.ts'
import { loadKeyFile, readingCodec, type LoadedKeys } from './key-file.ts'
import { countingRepairs, manifestKeyEpoch, readVersion, tableCodecSummary, verifyBlobFiles, verifyStore, walkTableBlocks } from './store-reader.ts'
import type { BlobFileCheck, BlobFileChecker } from './blob-file-check.ts'
import { fileStatusOf, statusCounts } from '../scrub/mod.ts'
import { repairCommand, walCommand } from './wal-cli.ts'
import type { StoreOpener } from './wal-repair.ts'

/** Where a command writes, and the blob layer's checker; tests pass their own. */
export interface CliIo {
  stdout: (text: string) => void
  stderr: (text: string) => void
  vfs: Vfs
  /** Checks one blob file for verify and scrub (blobtree's `checkBlobFile`, handed in by bin/strata.ts). */
  checkBlobFile: BlobFileChecker
  /** Opens a store for repair (the package's `open`, handed in by bin/strata.ts); repair fails without it. */
  openStore?: StoreOpener
}

const USAGE = `Usage: strata <inspect|verify|scrub|dump-block|stats|wal|repair> … (forensics; all read-only but repair)

  strata inspect <dir> [--key-file K] [--epoch N] [--json]
      levels, tables (size, entries, key range, codec), blob files, from the manifest
  strata verify <dir> [--key-file K] [--epoch N] [--json]
      read every table and blob file; per file: clean, ecc-damaged (data intact, its ECC
      region not), repaired (by ECC) or unrecoverable
  strata scrub <dir> [--key-file K] [--epoch N] [--json]
      like verify, block by block (frame by frame in blob files), naming each damaged
      block's offset (and each damaged frame's key)
  strata dump-block <file> --offset N [--key-file K] [--epoch N] [--file-number N] [--json]
      decode one block's header and regions; without a key: suite, epoch, flags, AAD
  strata stats <dir> [--key-file K] [--epoch N] [--json]
      sizes and counts per level and of blob files
  strata wal <dir> [--key-file K] [--epoch N] [--json]
      every WAL file: header, link to its predecessor, records, seqnos, first damage; what
      default recovery would do (open, cut a torn tail, or refuse) and what point-in-time
      recovery would keep and drop (exit 1 when the default refuses)
  strata repair <dir> --wal point-in-time [--dry-run] [--key-file K] [--epoch N] [--json]
      save every WAL the point-in-time open cuts or drops into <dir>/lost/, then open the
      store at its last consistent point, flush and close; --dry-run only prints the plan.
      Refuses a store another process has open (LOCKED)

Key file: 64 hex digits or 32 raw bytes (the key of --epoch, default the epoch of the block or
of the store's manifest, else 1), or JSON {"suite","activeEpoch","keys":[{"epoch":1,"key":"<hex>"}]}.
An encrypted store's manifest needs the key file for every command that reads a store.
Exit status: 0 no data lost (clean, ecc-damaged or repaired), 1 unrecoverable damage or
unreadable, 2 usage error.
`

const OPTIONS = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  'key-file': { type: 'string' },
  epoch: { type: 'string' },
  offset: { type: 'string' },
  'file-number': { type: 'string' },
  wal: { type: 'string' },
  'dry-run': { type: 'boolean' },
} as const

class UsageError extends Error {}

type Parsed = {
  positionals: string[]
  values: { json?: boolean; help?: boolean; 'key-file'?: string; epoch?: string; offset?: string; 'file-number'?: string; wal?: string; 'dry-run'?: boolean }
}

function parse(argv: string[]): Parsed {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }) as Parsed
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
}

function integerOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(parsed)) throw new UsageError(`--${name} must be a non-negative integer, got '${value}'`)
  return parsed
}

function onePositional(parsed: Parsed, what: string): string {
  if (parsed.positionals.length !== 1) throw new UsageError(`expected one ${what}, got ${parsed.positionals.length}`)
  return path.resolve(parsed.positionals[0])
}

function keysOf(parsed: Parsed, defaultEpoch: number): LoadedKeys | undefined {
  const keyFile = parsed.values['key-file']
  return keyFile === undefined ? undefined : loadKeyFile(keyFile, integerOption(parsed.values.epoch, 'epoch') ?? defaultEpoch)
}

/**
 * Runs one forensics command; `argv[0]` is its name.
 * @example
 * ```ts
 * const status = await runForensics(['inspect', '/data/db'], { stdout: (t) => process.stdout.write(t), stderr: …, vfs: new NodeVfs(), checkBlobFile })
 * ```
 */
export async function runForensics(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  try {
    const parsed = parse(rest)
    if (parsed.values.help) {
      io.stdout(USAGE)
      return 0
    }
    switch (command) {
      case 'inspect':
        return await inspect(parsed, io)
      case 'stats':
        return await stats(parsed, io)
      case 'verify':
        return await verify(parsed, io)
      case 'scrub':
        return await scrub(parsed, io)
      case 'dump-block':
        return dumpBlock(parsed, io)
      case 'wal':
        return await wal(parsed, io)
      case 'repair':
        return await repair(parsed, io)
      default:
        throw new UsageError(`unknown command '${String(command)}'`)
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`strata ${command ?? ''}: ${error.message}\n\n${USAGE}`)
      return 2
    }
    const code = error instanceof StrataError ? `${error.code}: ` : ''
    io.stderr(`strata ${command}: ${code}${(error as Error).message}\n`)
    return 1
  }
}

/** Keys for a store command: a single key belongs to the manifest's epoch unless --epoch says. */
function storeKeysOf(parsed: Parsed, vfs: Vfs, directory: string): LoadedKeys | undefined {
  if (parsed.values['key-file'] === undefined) return undefined
  return keysOf(parsed, manifestKeyEpoch(vfs, directory) ?? 1)
}

async function wal(parsed: Parsed, io: CliIo): Promise<number> {
  const directory = onePositional(parsed, 'store directory')
  return walCommand(directory, storeKeysOf(parsed, io.vfs, directory), parsed.values.json === true, io)
}

async function repair(parsed: Parsed, io: CliIo): Promise<number> {
  const directory = onePositional(parsed, 'store directory')
  // One repair today; the flag names what is repaired so a table repair can join it.
  if (parsed.values.wal !== 'point-in-time') throw new UsageError(`--wal point-in-time is required (the only repair), got ${parsed.values.wal === undefined ? 'none' : `'${parsed.values.wal}'`}`)
  const options = { dryRun: parsed.values['dry-run'] === true, json: parsed.values.json === true }
  return repairCommand(directory, storeKeysOf(parsed, io.vfs, directory), options, io)
}

async function inspect(parsed: Parsed, io: CliIo): Promise<number> {
  const directory = onePositional(parsed, 'store directory')
  const { version, manifestFileName, lastSeqno, manifestEncrypted } = await readVersion(io.vfs, directory, storeKeysOf(parsed, io.vfs, directory))
  const levels = version.levels.map((tables, level) => ({
    level,
    tables: tables.map((table) => ({
      file: tableFileName(table.fileNumber),
      sizeBytes: table.sizeBytes,
      entryCount: table.entryCount,
      tombstoneCount: table.tombstoneCount,
      rangeTombstoneCount: table.rangeTombstoneCount,
      smallestKey: table.smallestKey,
      largestKey: table.largestKey,
      seqnos: [table.smallestSeqno, table.largestSeqno],
      codec: safeCodecSummary(io.vfs, directory, table),
    })),
  }))
  const blobFiles = [...version.blobFiles.values()].map((state) => ({ file: blobFileName(state.meta.fileNumber), sizeBytes: state.meta.sizeBytes, valueCount: state.meta.valueCount, staleBytes: state.staleBytes }))
  if (parsed.values.json) {
    io.stdout(`${JSON.stringify({ directory, manifest: manifestFileName, manifestEncrypted, lastSeqno, levels, blobFiles }, null, 2)}\n`)
    return 0
  }
  const lines = [`store      ${directory}`, `manifest   ${manifestFileName}${manifestEncrypted ? ' (encrypted)' : ''}, last seqno ${lastSeqno}`]
  for (const { level, tables } of levels) {
    if (tables.length === 0) continue
    lines.push(`level ${level}    ${tables.length} table(s), ${tables.reduce((sum, t) => sum + t.sizeBytes, 0)} bytes`)
    for (const t of tables) {
      lines.push(`  ${t.file}  ${String(t.sizeBytes).padStart(10)} B  ${String(t.entryCount).padStart(8)} entries  [${printable(t.smallestKey)} .. ${printable(t.largestKey)}]  seqno ${t.seqnos[0]}-${t.seqnos[1]}  ${t.codec}`)
    }
  }
  if (levels.every(({ tables }) => tables.length === 0)) lines.push('tables     none')
  lines.push(`blob files ${blobFiles.length === 0 ? 'none' : `${blobFiles.length}, ${blobFiles.reduce((sum, b) => sum + b.sizeBytes, 0)} bytes`}`)
  for (const blob of blobFiles) lines.push(`  ${blob.file}  ${String(blob.sizeBytes).padStart(10)} B  ${blob.valueCount} values  ${blob.staleBytes} stale bytes`)
  io.stdout(`${lines.join('\n')}\n`)
  return 0
}

function safeCodecSummary(vfs: Vfs, directory: string, table: Parameters<typeof tableCodecSummary>[2]): string {
  try {
    return tableCodecSummary(vfs, directory, table)
  } catch (error) {
    return `unreadable (${error instanceof StrataError ? error.code : 'IO_ERROR'})`
  }
}

/** Keys are latin1 strings inside the engine; show printable ASCII, escape the rest. */
function printable(key: string): string {
  return [...key].map((ch) => (ch >= ' ' && ch <= '~' ? ch : `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`)).join('')
}

async function stats(parsed: Parsed, io: CliIo): Promise<number> {
  const directory = onePositional(parsed, 'store directory')
  const { version, lastSeqno } = await readVersion(io.vfs, directory, storeKeysOf(parsed, io.vfs, directory))
  const levels = version.levels.map((tables, level) => ({
    level,
    tableCount: tables.length,
    sizeBytes: tables.reduce((sum, t) => sum + t.sizeBytes, 0),
    entryCount: tables.reduce((sum, t) => sum + t.entryCount, 0),
    tombstoneCount: tables.reduce((sum, t) => sum + t.tombstoneCount, 0),
  }))
  const blobs = [...version.blobFiles.values()]
  const summary = {
    lastSeqno,
    tableCount: levels.reduce((sum, l) => sum + l.tableCount, 0),
    tableBytes: levels.reduce((sum, l) => sum + l.sizeBytes, 0),
    entryCount: levels.reduce((sum, l) => sum + l.entryCount, 0),
    blobFileCount: blobs.length,
    blobBytes: blobs.reduce((sum, b) => sum + b.meta.sizeBytes, 0),
    blobStaleBytes: blobs.reduce((sum, b) => sum + b.staleBytes, 0),
    levels: levels.filter((l) => l.tableCount > 0),
  }
  if (parsed.values.json) {
    io.stdout(`${JSON.stringify(summary, null, 2)}\n`)
    return 0
  }
  const lines = [
    `last seqno      ${summary.lastSeqno}`,
    `tables          ${summary.tableCount}, ${summary.tableBytes} bytes, ${summary.entryCount} entries`,
    ...summary.levels.map((l) => `  level ${l.level}       ${l.tableCount} table(s), ${l.sizeBytes} bytes, ${l.entryCount} entries, ${l.tombstoneCount} tombstones`),
    `blob files      ${summary.blobFileCount}, ${summary.blobBytes} bytes, ${summary.blobStaleBytes} stale bytes`,
  ]
  io.stdout(`${lines.join('\n')}\n`)
  return 0
}

async function verify(parsed: Parsed, io: CliIo): Promise<number> {
  const directory = onePositional(parsed, 'store directory')
  const keys = storeKeysOf(parsed, io.vfs, directory)
  const { version } = await readVersion(io.vfs, directory, keys)
  const reading = countingRepairs((onRepair) => readingCodec(keys, onRepair))
  const tables = verifyStore(io.vfs, directory, version, reading)
  const blobFiles = verifyBlobFiles(io.vfs, directory, version, reading, io.checkBlobFile)
  // `files` stays the tables (the VerifyReport shape); counts and `ok` cover the blob files too.
  const report = { ...tables, ...statusCounts([...tables.files, ...blobFiles]), blobFiles: blobFiles.map(namedBlobFile) }
  if (parsed.values.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`)
  else {
    const lines = report.files.map((file) => {
      const name = `${tableFileName(file.fileNumber)} L${file.level}`
      if (file.status === 'clean') return `${name}  clean  ${file.entries} entries`
      if (file.status === 'ecc-damaged') return `${name}  ecc-damaged  ${file.eccRegionsDamaged} block(s) with a damaged ECC region (data intact, no longer repairable), ${file.entries} entries`
      if (file.status === 'repaired') return `${name}  repaired  ${file.repairCount} block(s) fixed by ECC, ${file.entries} entries`
      return `${name}  unrecoverable  ${file.code}: ${file.error}`
    })
    lines.push(...blobFiles.map(blobVerifyLine))
    lines.push(summaryLine(report.files.length + blobFiles.length, report))
    io.stdout(`${lines.join('\n')}\n`)
  }
  return report.ok ? 0 : 1
}

function namedBlobFile(check: BlobFileCheck): BlobFileCheck & { file: string } {
  return { file: blobFileName(check.fileNumber), ...check }
}

function summaryLine(fileCount: number, counts: ReturnType<typeof statusCounts>): string {
  return `${fileCount} file(s): ${counts.cleanCount} clean, ${counts.eccDamagedCount} ecc-damaged, ${counts.repairedCount} repaired, ${counts.unrecoverableCount} unrecoverable`
}

/** Verify's line for one blob file; an unsealed file says how far its frames were checked. */
function blobVerifyLine(file: BlobFileCheck): string {
  const name = `${blobFileName(file.fileNumber)}${file.sealed ? '' : ' (active, unsealed)'}`
  const frames = `${file.frames} frames`
  const tail = file.sealed || file.stoppedAtBytes === undefined ? '' : `; checked up to offset ${file.stoppedAtBytes}, the rest is a write in progress or cut short (${file.error})`
  if (file.status === 'clean') return `${name}  clean  ${frames}${tail}`
  if (file.status === 'ecc-damaged') return `${name}  ecc-damaged  ${file.eccRegionsDamaged} frame(s) with a damaged ECC region (data intact, no longer repairable), ${frames}${tail}`
  if (file.status === 'repaired') return `${name}  repaired  ${file.repairCount} frame(s) fixed by ECC, ${frames}${tail}`
  const more = file.damagedFrames.filter((frame) => frame.status === 'unrecoverable').length - 1
  const unchecked = file.stoppedAtBytes === undefined ? '' : `; frames from offset ${file.stoppedAtBytes} on unchecked`
  return `${name}  unrecoverable  ${file.code}: ${file.error}${more > 0 ? ` (and ${more} more frame(s))` : ''}${unchecked}`
}

async function scrub(parsed: Parsed, io: CliIo): Promise<number> {
  const directory = onePositional(parsed, 'store directory')
  const keys = storeKeysOf(parsed, io.vfs, directory)
  const { version } = await readVersion(io.vfs, directory, keys)
  let repairs = 0
  const codec = readingCodec(keys, () => repairs++)
  const files = version.levels.flat().map((table) => {
    const name = tableFileName(table.fileNumber)
    const walk = walkTableBlocks(io.vfs, path.join(directory, name), table.fileNumber, codec, () => repairs)
    const count = (status: string) => walk.blocks.filter((block) => block.status === status).length
    const unrecoverable = count('unrecoverable') + (walk.stoppedAt === undefined ? 0 : 1)
    const status = fileStatusOf({ unrecoverable, repaired: count('repaired'), eccDamaged: count('ecc-damaged') })
    return { file: name, level: table.level, status, blockCount: walk.blocks.length, eccDamaged: count('ecc-damaged'), repaired: count('repaired'), unrecoverable, stoppedAt: walk.stoppedAt, damaged: walk.blocks.filter((block) => block.status !== 'clean') }
  })
  const blobFiles = verifyBlobFiles(io.vfs, directory, version, countingRepairs((onRepair) => readingCodec(keys, onRepair)), io.checkBlobFile)
  const counts = statusCounts([...files, ...blobFiles])
  const ok = counts.ok
  if (parsed.values.json) {
    io.stdout(`${JSON.stringify({ ok, files, blobFiles: blobFiles.map(namedBlobFile) }, null, 2)}\n`)
    return ok ? 0 : 1
  }
  const lines: string[] = []
  for (const file of files) {
    lines.push(`${file.file} L${file.level}  ${file.status}  ${file.blockCount} blocks`)
    for (const block of file.damaged) lines.push(`  block at ${block.offsetBytes} (${block.sizeBytes} B, type ${block.blockType})  ${block.status}${block.code ? ` ${block.code}` : ''}`)
    if (file.stoppedAt !== undefined) lines.push(`  cannot find the end of the block at ${file.stoppedAt}; the rest of the file is unchecked`)
  }
  for (const file of blobFiles) lines.push(...blobScrubLines(file))
  lines.push(summaryLine(files.length + blobFiles.length, counts))
  io.stdout(`${lines.join('\n')}\n`)
  return ok ? 0 : 1
}

/** Scrub's lines for one blob file: the file, then each frame that was not clean, with its key. */
function blobScrubLines(file: BlobFileCheck): string[] {
  const lines = [`${blobFileName(file.fileNumber)}${file.sealed ? '' : ' (active, unsealed)'}  ${file.status}  ${file.frames} frames`]
  for (const frame of file.damagedFrames) lines.push(`  frame at ${frame.offsetBytes} (${frame.sizeBytes} B, key ${frame.key})  ${frame.status}${frame.code ? ` ${frame.code}` : ''}`)
  if (file.stoppedAtBytes !== undefined) {
    lines.push(file.sealed
      ? `  cannot read the frame at ${file.stoppedAtBytes} (${file.code}: ${file.error}); the rest of the file is unchecked`
      : `  checked up to offset ${file.stoppedAtBytes}; the rest is a write in progress or cut short (${file.error})`)
  } else if (file.status === 'unrecoverable' && !file.damagedFrames.some((frame) => frame.status === 'unrecoverable')) {
    // Not one frame's fault: the file did not open (missing, damaged file header) or its footer disagrees.
    lines.push(`  ${file.code}: ${file.error}`)
  }
  return lines
}

function dumpBlock(parsed: Parsed, io: CliIo): number {
  const filePath = onePositional(parsed, 'file')
  const offsetBytes = integerOption(parsed.values.offset, 'offset')
  if (offsetBytes === undefined) throw new UsageError('--offset is required')
  const fileNumber = integerOption(parsed.values['file-number'], 'file-number') ?? fileNumberOf(filePath)
  if (!io.vfs.exists(filePath)) throw new StrataError('NOT_FOUND', `Cannot read ${filePath}: no such file`)
  const fileSizeBytes = io.vfs.sizeBytes(filePath)
  // Tables end in a footer no block runs into; other files (blob files) end at their size.
  const endBytes = filePath.endsWith('.sst') ? Math.max(0, fileSizeBytes - FOOTER_SIZE_BYTES) : fileSizeBytes
  if (offsetBytes >= endBytes) throw new UsageError(`--offset ${offsetBytes} is past the last block (blocks end at ${endBytes})`)
  const bytes = new Uint8Array(endBytes - offsetBytes)
  const file = io.vfs.openRead(filePath)
  try {
    file.read(bytes, offsetBytes)
  } finally {
    file.close()
  }
  const anatomy = anatomize(bytes, offsetBytes, fileNumber)
  const decoded = parsed.values['key-file'] === undefined && anatomy.encryption ? undefined : decodeBlock(bytes, anatomy, fileNumber, filePath, keysOf(parsed, anatomy.encryption?.keyEpoch ?? 1))
  if (parsed.values.json) {
    io.stdout(`${JSON.stringify({ file: filePath, fileNumber, ...anatomy, decoded }, null, 2)}\n`)
  } else {
    const lines = [`file        ${filePath} (file number ${fileNumber})`, ...formatAnatomy(anatomy)]
    if (decoded === undefined) lines.push('decoded     not attempted: the block is encrypted and no --key-file was given')
    else if (decoded.ok) lines.push(`decoded     ${decoded.rawSizeBytes} raw bytes${decoded.repaired ? ' (after an ECC repair)' : ''}`, `raw head    ${decoded.headHex}`)
    else lines.push(`decoded     FAILED ${decoded.code}: ${decoded.error}`)
    io.stdout(`${lines.join('\n')}\n`)
  }
  return anatomy.checksumOk && (decoded === undefined || decoded.ok) ? 0 : 1
}

const RAW_HEAD_SIZE_BYTES = 64

function decodeBlock(bytes: Uint8Array, anatomy: ReturnType<typeof anatomize>, fileNumber: number, fileName: string, keys: LoadedKeys | undefined) {
  if (anatomy.sizeBytes === undefined) return { ok: false as const, code: 'CORRUPTION', error: 'the block end could not be found' }
  let repaired = false
  try {
    const codec = readingCodec(keys, () => (repaired = true))
    const raw = codec.decode(bytes.subarray(0, anatomy.sizeBytes), { fileNumber, blockType: anatomy.blockType, fileName, offsetBytes: anatomy.offsetBytes })
    return { ok: true as const, rawSizeBytes: raw.length, repaired, headHex: Buffer.from(raw.subarray(0, RAW_HEAD_SIZE_BYTES)).toString('hex') }
  } catch (error) {
    return { ok: false as const, code: error instanceof StrataError ? error.code : 'IO_ERROR', error: (error as Error).message }
  }
}

/** The file number in a Strata file name (000007.sst → 7); 0 when the name has none. */
function fileNumberOf(filePath: string): number {
  const parsed = parseFileName(path.basename(filePath))
  return parsed !== undefined && 'fileNumber' in parsed && parsed.fileNumber !== undefined ? parsed.fileNumber : 0
}

/**
 * Entry point for bin/strata.ts: `argv` starts with the subcommand; `checkBlobFile` is
 * blobtree's, `openStore` the package's `open` (both handed in: engine/ does not import blobtree/).
 */
export async function main(argv: string[], checkBlobFile: BlobFileChecker, openStore?: StoreOpener): Promise<number> {
  return runForensics(argv, {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    vfs: new NodeVfs(),
    checkBlobFile,
    openStore,
  })
}
