// Goal: a run whose checkout changes while it goes on (a commit, a merge, an edited tracked file)
// says so in its provenance, which is taken at the start: worker processes started later load
// the changed code. Found when a standard run spanned three merges and its result named only
// the last commit, with startedAt the time it ended.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { collectProvenance, noteTreeChange } from './provenance.ts'
import { validateResultFile } from './validate.ts'
import { provenanceEntries } from '../../reports/pages/provenance.ts'

const START = 'a'.repeat(40)
const END = 'b'.repeat(40)

function provenanceAt(commit: string, dirty: boolean) {
  return { ...collectProvenance({ preset: 'rocksdb-parity', suite: 'quick', seed: 42 }), gitCommit: commit, gitDirty: dirty }
}

describe('noteTreeChange', () => {
  test('nothing changed: provenance untouched', () => {
    const provenance = provenanceAt(START, false)
    assert.equal(noteTreeChange(provenance, { commit: START, dirty: false }), undefined)
    assert.equal(provenance.gitDirty, false)
    assert.equal(provenance.treeChangedDuringRun, undefined)
    // A tree dirty from the start is already recorded as such.
    const dirty = provenanceAt(START, true)
    assert.equal(noteTreeChange(dirty, { commit: START, dirty: true }), undefined)
    assert.equal(dirty.treeChangedDuringRun, undefined)
  })

  test('HEAD moved: the start commit stays, the run is marked dirty and the move recorded', () => {
    const provenance = provenanceAt(START, false)
    const change = noteTreeChange(provenance, { commit: END, dirty: false })
    assert.equal(change, 'HEAD moved from aaaaaaaaaaaa to bbbbbbbbbbbb during the run')
    assert.equal(provenance.gitCommit, START)
    assert.equal(provenance.gitDirty, true)
    assert.equal(provenance.treeChangedDuringRun, change)
    const [, commitText] = provenanceEntries(provenance).find(([name]) => name === 'Commit')!
    assert.match(commitText, /at the start; HEAD moved from aaaaaaaaaaaa to bbbbbbbbbbbb/)
  })

  test('tracked files edited during a run on a clean tree: marked', () => {
    const provenance = provenanceAt(START, false)
    assert.equal(noteTreeChange(provenance, { commit: START, dirty: true }), 'tracked files changed during the run')
    assert.equal(provenance.gitDirty, true)
  })

  test('result files with and without the field validate; a mistyped one does not', () => {
    const file = { provenance: provenanceAt(START, false), workloads: [] as unknown[], schemaVersion: 1 }
    assert.doesNotThrow(() => validateResultFile(JSON.parse(JSON.stringify(file))))
    noteTreeChange(file.provenance, { commit: END, dirty: false })
    assert.equal(validateResultFile(JSON.parse(JSON.stringify(file))).provenance.treeChangedDuringRun, file.provenance.treeChangedDuringRun)
    assert.throws(() => validateResultFile(JSON.parse(JSON.stringify({ ...file, provenance: { ...file.provenance, treeChangedDuringRun: 7 } }))), /treeChangedDuringRun/)
  })
})
