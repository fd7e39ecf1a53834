import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { pickCompaction, levelScores, type PickerTable } from './picker.ts'

const settings = { l0CompactionTrigger: 4, l1SizeBytes: 1000, levelSizeRatio: 10 }
function table(fileNumber: number, smallestKey: string, largestKey: string, sizeBytes = 100): PickerTable {
  return { fileNumber, smallestKey, largestKey, sizeBytes }
}

describe('pickCompaction()', () => {
  test('returns nothing while every level is under its target', () => {
    const levels = [[table(1, 'a', 'b')], [table(2, 'a', 'z', 900)], [], [], [], [], []]
    assert.equal(pickCompaction(levels, settings, []), undefined)
  })
  test('compacts all of L0 with the overlapping L1 tables once L0 reaches its trigger', () => {
    const l0 = [table(5, 'c', 'd'), table(6, 'a', 'b'), table(7, 'c', 'e'), table(8, 'b', 'c')]
    const l1 = [table(1, 'a', 'a'), table(2, 'b', 'c'), table(3, 'f', 'g')]
    const pick = pickCompaction([l0, l1, [], [], [], [], []], settings, [])!
    assert.equal(pick.level, 0)
    assert.deepEqual(pick.inputs.map((t) => t.fileNumber), [5, 6, 7, 8])
    assert.deepEqual(pick.nextLevelInputs.map((t) => t.fileNumber), [1, 2])
  })
  test('compacts the fullest deeper level one table at a time, round-robin', () => {
    const l1 = [table(1, 'a', 'b', 600), table(2, 'c', 'd', 600)]
    const l2 = [table(3, 'a', 'a'), table(4, 'd', 'e')]
    const levels = [[], l1, l2, [], [], [], []]
    assert.ok(levelScores(levels, settings)[1] > 1)
    const first = pickCompaction(levels, settings, [])!
    assert.deepEqual([first.level, first.inputs[0].fileNumber, first.nextLevelInputs.map((t) => t.fileNumber)], [1, 1, [3]])
    const second = pickCompaction(levels, settings, [undefined as unknown as string, 'b'])!
    assert.deepEqual([second.inputs[0].fileNumber, second.nextLevelInputs.map((t) => t.fileNumber)], [2, [4]])
  })
})
