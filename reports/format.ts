/**
 * Number and text formatting shared by the HTML tables, the terminal tables and the browser
 * tests (which format the fixture values the same way to check the page). Fixed to en-US so a
 * report reads the same on every machine that builds it.
 */

const grouped0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 })
const fixed1 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 })
const fixed2 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })

/**
 * Formats a count (repetitions, samples): a grouped integer, never decimals.
 * @example formatCount(50000) // '50,000'
 */
export function formatCount(value: number): string {
  return grouped0.format(value)
}

/**
 * Formats a measured quantity: grouped integers from 100 up, one decimal from 10, two below.
 * @example formatNumber(184537.4) // '184,537'
 */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return '–'
  const magnitude = Math.abs(value)
  if (magnitude >= 100) return grouped0.format(value)
  if (magnitude >= 10) return fixed1.format(value)
  return fixed2.format(value)
}

/**
 * Formats a fractional change as a signed percentage with one decimal.
 * @example formatChange(-0.1234) // '-12.3%'
 */
export function formatChange(fraction: number): string {
  if (!Number.isFinite(fraction)) return '–'
  const percent = fraction * 100
  const text = fixed1.format(Math.abs(percent))
  if (text === '0.0') return '0.0%'
  return `${percent < 0 ? '-' : '+'}${text}%`
}

/** Formats a ratio such as 0.83 as '0.83×'. */
export function formatRatio(ratio: number | null): string {
  if (ratio === null || !Number.isFinite(ratio)) return '–'
  return `${fixed2.format(ratio)}×`
}

/** Formats a byte count with a binary unit: '52.7 MiB'. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '–'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unitIndex = 0
  while (Math.abs(value) >= 1024 && unitIndex < units.length - 1) {
    value /= 1024
    unitIndex += 1
  }
  return unitIndex === 0 ? `${value} B` : `${fixed1.format(value)} ${units[unitIndex]}`
}

/** A parameter map as 'keyCount=100000, valueSizeBytes=256', keys sorted. */
export function formatParameters(parameters: Readonly<Record<string, string | number | boolean>>): string {
  return Object.keys(parameters)
    .sort()
    .map((name) => `${name}=${String(parameters[name])}`)
    .join(', ')
}

/** The first 7 characters of a commit id, or the id itself when it is not hex ('unknown'). */
export function shortCommit(commit: string): string {
  return /^[0-9a-f]{8,40}$/i.test(commit) ? commit.slice(0, 7) : commit
}

const HUMAN_PARAMETER_NAMES: Readonly<Record<string, string>> = {
  keyCount: 'Key count',
  valueSizeBytes: 'Value size (bytes)',
  keySizeBytes: 'Key size (bytes)',
  threads: 'Threads',
  threadCount: 'Threads',
  batchSize: 'Batch size (operations)',
  parameter: 'Parameter',
}

/** A parameter name as an axis title with its unit: 'valueSizeBytes' → 'Value size (bytes)'. */
export function humanParameterName(name: string): string {
  return HUMAN_PARAMETER_NAMES[name] ?? name
}
