/**
 * Example: a time series of event payloads (audit log, telemetry, webhooks received).
 *
 * Keys are `ev/<timestamp in ms, 13 digits>/<sequence, 6 digits>`: fixed-width decimal sorts
 * bytewise in time order, and the sequence keeps two events of the same millisecond apart.
 * A time window is then one bounded iterator (`gte` start, `lt` end), "the latest N" is a
 * reverse iterator with a limit, and retention is one `deleteRange` below a cutoff: a single
 * range tombstone, whatever the number of events, that compaction turns into reclaimed space.
 *
 * Run: `node --import tsx examples/event-timeseries.ts [directory]` (a temp dir by default).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { open, type Db } from 'strata-kv'

const HOUR_MS = 60 * 60 * 1000
const DAY_MS = 24 * HOUR_MS
/** 2025-01-01T00:00:00Z: a fixed start, so the output is the same every run. */
const START_MS = Date.UTC(2025, 0, 1)

interface Event {
  atMs: number
  type: 'login' | 'upload' | 'payment'
  userId: number
}

function eventKey(atMs: number, sequence = 0): string {
  return `ev/${String(atMs).padStart(13, '0')}/${String(sequence).padStart(6, '0')}`
}

/** Seven days of events, one every 90 s on average (seeded xorshift32, no Math.random). */
function syntheticEvents(): Event[] {
  const types = ['login', 'upload', 'payment'] as const
  let state = 7
  const next = (): number => {
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 2 ** 32
  }
  const events: Event[] = []
  for (let atMs = START_MS; atMs < START_MS + 7 * DAY_MS; atMs += Math.floor(next() * 180_000)) {
    events.push({ atMs, type: types[Math.floor(next() * 3)], userId: Math.floor(next() * 1000) })
  }
  return events
}

/** Appends events in batches of 500 (one WAL record each). */
async function ingest(db: Db, events: readonly Event[]): Promise<void> {
  for (let start = 0; start < events.length; start += 500) {
    const slice = events.slice(start, start + 500)
    await db.batch(slice.map((event, index) => ({ type: 'put' as const, key: eventKey(event.atMs, start + index), value: JSON.stringify(event) })))
  }
}

/** Events in [fromMs, toMs), in time order. */
async function* windowOf(db: Db, fromMs: number, toMs: number): AsyncGenerator<Event> {
  for await (const [, value] of db.iterator({ gte: eventKey(fromMs), lt: eventKey(toMs) })) yield JSON.parse(value.toString()) as Event
}

async function countAll(db: Db): Promise<number> {
  let count = 0
  for await (const _ of db.iterator({ gte: 'ev/', lt: 'ev0', values: false })) count++
  return count
}

async function main(): Promise<void> {
  const directory = process.argv[2] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'strata-events-'))
  const db = await open(directory, { memtableSizeBytes: 256 * 1024 })
  try {
    const events = syntheticEvents()
    await ingest(db, events)
    console.log(`ingested ${events.length} events over 7 days`)

    // Day 3, 09:00-12:00: payments per hour.
    const fromMs = START_MS + 2 * DAY_MS + 9 * HOUR_MS
    const perHour = new Map<number, number>()
    for await (const event of windowOf(db, fromMs, fromMs + 3 * HOUR_MS)) {
      if (event.type !== 'payment') continue
      const hour = new Date(event.atMs).getUTCHours()
      perHour.set(hour, (perHour.get(hour) ?? 0) + 1)
    }
    const expected = events.filter((e) => e.type === 'payment' && e.atMs >= fromMs && e.atMs < fromMs + 3 * HOUR_MS).length
    const found = [...perHour.values()].reduce((a, b) => a + b, 0)
    console.log(`payments on day 3, 09:00-12:00: ${[...perHour].map(([hour, n]) => `${hour}h=${n}`).join(' ')} (${found === expected ? 'matches' : 'DIFFERS FROM'} a scan of the input)`)

    const latest: Event[] = []
    for await (const [, value] of db.iterator({ gte: 'ev/', lt: 'ev0', reverse: true, limit: 3 })) latest.push(JSON.parse(value.toString()) as Event)
    console.log(`latest 3: ${latest.map((e) => new Date(e.atMs).toISOString()).join(', ')}`)

    // Retention: keep the last 2 days. One range tombstone; compaction reclaims the space.
    const cutoffMs = START_MS + 5 * DAY_MS
    await db.deleteRange(eventKey(0), eventKey(cutoffMs))
    const kept = events.filter((e) => e.atMs >= cutoffMs).length
    const remaining = await countAll(db)
    console.log(`after retention: ${remaining} events remain (${remaining === kept ? 'matches' : 'DIFFERS FROM'} the ${kept} expected)`)
    const before = db.stats().tableBytes
    await db.compact()
    let oldest = ''
    for await (const [, value] of db.iterator({ gte: 'ev/', lt: 'ev0', limit: 1 })) oldest = new Date((JSON.parse(value.toString()) as Event).atMs).toISOString()
    console.log(`compaction: table bytes ${before > db.stats().tableBytes ? 'shrank' : 'did not shrink'}, oldest kept ${oldest}`)
  } finally {
    await db.close()
  }
}

await main()
