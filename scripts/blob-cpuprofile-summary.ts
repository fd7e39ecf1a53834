/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time per function, largest first,
 * with its share of the samples. Usage: node --import tsx scripts/blob-cpuprofile-summary.ts <file> [more files] [top=30]
 */
import fs from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  hitCount?: number
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

// Several files (node writes one per thread) are summed; a trailing number is the row count.
const args = process.argv.slice(2)
const topCount = /^\d+$/.test(args.at(-1) ?? '') ? Number(args.pop()) : 30
const selfUs = new Map<string, number>()
let totalUs = 0
let sampleCount = 0
for (const file of args) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile
  const nodeById = new Map(profile.nodes.map((node) => [node.id, node]))
  sampleCount += profile.samples.length
  for (let index = 0; index < profile.samples.length; index++) {
    const node = nodeById.get(profile.samples[index])!
    const deltaUs = profile.timeDeltas[index] ?? 0
    const frame = node.callFrame
    const where = frame.url === '' ? '' : ` ${frame.url.replace(/^.*\/work\/main\//, '')}:${frame.lineNumber + 1}`
    const name = `${frame.functionName || '(anonymous)'}${where}`
    selfUs.set(name, (selfUs.get(name) ?? 0) + deltaUs)
    totalUs += deltaUs
  }
}
console.log(`total ${(totalUs / 1000).toFixed(0)} ms in ${sampleCount} samples`)
for (const [name, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, topCount)) {
  console.log(`${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / totalUs).toFixed(1).padStart(5)}%  ${name}`)
}
