/**
 * SurrealKV through embedded SurrealDB (`@surrealdb/node` + the `surrealdb` JS SDK), as in
 * peer-baseline.md: `surrealkv://<dir>` with SURREAL_DATASTORE_SYNC_DATA=never (the default,
 * `every`, fsyncs each commit). Records are `{ id: kv:⟨hex key⟩, v: bytes }`; writes are batched
 * inserts, point reads `select(RecordId)`, multi-gets one `SELECT * FROM $ids`. Every call crosses
 * the SurrealQL/CBOR RPC layer (≈0.6 ms per call measured in the baseline), so what is measured is
 * SurrealKV plus SurrealDB's SDK, not the storage engine alone: reports must say so.
 */
import type { Availability, EffectiveOptions, EngineAdapter, EngineRunOptions, EngineSession, ScanRange, WriteEntry } from './adapter.ts'
import { reasonOf, ScanTally } from './adapter.ts'
import { packageVersion } from './package-version.ts'

const TABLE = 'kv'

/* The SDK's types are wide; the adapter uses this narrow view of them. */
interface SurrealSdk {
  Surreal: new (options: { engines: unknown }) => SurrealClient
  Table: new (name: string) => unknown
  RecordId: new (table: string, id: string) => { id: unknown }
  RecordIdRange: new (table: string, begin: unknown, end: unknown) => unknown
  BoundIncluded: new (value: string) => unknown
  BoundExcluded: new (value: string) => unknown
}
interface SurrealClient {
  connect(url: string): Promise<unknown>
  use(target: { namespace: string; database: string }): Promise<unknown>
  query(text: string, bindings?: Record<string, unknown>): PromiseLike<unknown[]>
  select(target: unknown): PromiseLike<unknown> & { limit(count: number): PromiseLike<unknown> }
  close(): Promise<unknown>
}

let loaded: Promise<{ sdk: SurrealSdk; createNodeEngines: () => unknown; version: string } | { reason: string }> | undefined

function loadPackages(): NonNullable<typeof loaded> {
  loaded ??= (async () => {
    try {
      const sdk = (await import('surrealdb')) as unknown as SurrealSdk
      const { createNodeEngines } = (await import('@surrealdb/node')) as unknown as { createNodeEngines: () => unknown }
      const sdkVersion = packageVersion('surrealdb')
      const nodeVersion = packageVersion('@surrealdb/node')
      if (typeof sdk.RecordIdRange !== 'function') return { reason: 'surrealdb SDK has no RecordIdRange export' }
      return { sdk, createNodeEngines, version: `surrealdb ${sdkVersion} + @surrealdb/node ${nodeVersion}` }
    } catch (error) {
      return { reason: `packages surrealdb / @surrealdb/node failed to load: ${reasonOf(error)}` }
    }
  })()
  return loaded
}

function hex(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('hex')
}

function bytesOf(value: unknown): Uint8Array | undefined {
  if (value instanceof Uint8Array) return value
  if (value instanceof ArrayBuffer) return new Uint8Array(value)
  return undefined
}

interface Row { id: { id: unknown }; v: unknown }

export const surrealkvAdapter: EngineAdapter = {
  name: 'surrealkv',
  summary: 'SurrealKV via embedded SurrealDB (SDK layer included in every number)',
  packages: ['surrealdb', '@surrealdb/node'],
  async load(): Promise<Availability> {
    const result = await loadPackages()
    return 'reason' in result ? { available: false, reason: result.reason } : { available: true, version: result.version }
  },
  async open(directory: string): Promise<EngineSession> {
    const result = await loadPackages()
    if ('reason' in result) throw new Error(result.reason)
    const { sdk } = result
    // Read by the native engine when it opens the datastore; set for this process only.
    process.env.SURREAL_DATASTORE_SYNC_DATA = 'never'
    const db = new sdk.Surreal({ engines: result.createNodeEngines() })
    await db.connect(`surrealkv://${directory}`)
    await db.use({ namespace: 'bench', database: 'bench' })
    const recordId = (key: Uint8Array) => new sdk.RecordId(TABLE, hex(key))
    return {
      async putBatch(entries: readonly WriteEntry[]) {
        const rows = entries.map((entry) => ({ id: recordId(entry.key), v: entry.value }))
        // INSERT with an upsert clause so overwrites work; RETURN NONE keeps the reply small.
        await db.query(`INSERT INTO ${TABLE} $rows ON DUPLICATE KEY UPDATE v = $input.v RETURN NONE`, { rows })
      },
      async deleteBatch(keys: readonly Uint8Array[]) {
        await db.query('DELETE $ids RETURN NONE', { ids: keys.map(recordId) })
      },
      async get(key: Uint8Array) {
        const row = (await db.select(recordId(key))) as Row | undefined
        return row === undefined || row === null ? undefined : bytesOf(row.v)
      },
      async getMany(keys: readonly Uint8Array[]) {
        const [rows] = (await db.query('SELECT * FROM $ids', { ids: keys.map(recordId) })) as [Row[]]
        const found = new Map<string, Uint8Array | undefined>()
        for (const row of rows ?? []) found.set(String(row.id.id), bytesOf(row.v))
        return keys.map((key) => found.get(hex(key)))
      },
      async scan(range: ScanRange, limit: number) {
        const tally = new ScanTally()
        const target = range.gte === undefined && range.lt === undefined
          ? new sdk.Table(TABLE)
          : new sdk.RecordIdRange(TABLE, range.gte === undefined ? undefined : new sdk.BoundIncluded(hex(range.gte)),
            range.lt === undefined ? undefined : new sdk.BoundExcluded(hex(range.lt)))
        const query = db.select(target)
        const rows = (await (Number.isFinite(limit) ? query.limit(limit) : query)) as Row[]
        for (const row of rows) tally.add(Buffer.from(String(row.id.id), 'hex'), bytesOf(row.v))
        return tally.outcome()
      },
      close: async () => { await db.close() },
    }
  },
  effectiveOptions(options: EngineRunOptions): EffectiveOptions {
    return {
      codec: 'none',
      codecLevel: 0,
      bloomBitsPerKey: 'unknown',
      blockCacheBytes: 'unknown',
      wal: 'on',
      sync: false,
      // SurrealDB's default value-log threshold (peer-baseline.md, from its source config).
      kvSeparationMinBytes: 4096,
      memtableBytes: 'unknown',
      memtableCountMax: 'unknown',
      syncData: 'never',
      syncRequested: options.sync,
    }
  },
  notes(options: EngineRunOptions): string[] {
    const notes = [
      'Measured through the SurrealDB SDK: every call crosses the SurrealQL/CBOR RPC layer, so latencies include it (≈0.6 ms per call in peer-baseline.md).',
      'SURREAL_DATASTORE_SYNC_DATA=never; block cache and filter settings are SurrealDB defaults not visible from JS.',
    ]
    if (options.sync) notes.push('sync requested but the adapter keeps SURREAL_DATASTORE_SYNC_DATA=never, as in the baseline.')
    notes.push('No manual compaction or flush call: the compaction workload skips this engine.')
    return notes
  },
}
