// IntegrityMonitor's heal decisions (docs/ecc.md §7): when a repair asks for a heal, what a
// scrub's checkFile() queues for each outcome, and which failures stop further requests.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { StrataError } from '../errors.ts'
import { IntegrityMonitor } from './integrity-monitor.ts'
import { UNHEALABLE_FILE_COUNT_MAX } from './limits.ts'

/** A monitor with autoHeal on that records every heal it asks for. */
function monitorWithHeals(): { monitor: IntegrityMonitor; heals: number[] } {
  const monitor = new IntegrityMonitor()
  const heals: number[] = []
  monitor.autoHeal = true
  monitor.onHealNeeded = (fileNumber) => heals.push(fileNumber)
  return { monitor, heals }
}

function repair(monitor: IntegrityMonitor, fileNumber: number): void {
  monitor.recordRepair({ fileName: `${fileNumber}.sst`, fileNumber, offsetBytes: 0, blockType: 1, kind: 'sec-ded' })
}

describe('IntegrityMonitor heal requests', () => {
  test('a repair by a read asks for a heal at once; with autoHeal off it only counts', () => {
    const { monitor, heals } = monitorWithHeals()
    repair(monitor, 7)
    assert.deepEqual(heals, [7])
    monitor.autoHeal = false
    repair(monitor, 8)
    assert.deepEqual(heals, [7])
    assert.equal(monitor.stats().repairCount, 2)
  })

  test('checkFile() holds back the repairs of its file and asks once for a repaired or ecc-damaged outcome', () => {
    const { monitor, heals } = monitorWithHeals()
    const repaired = monitor.checkFile(3, () => {
      repair(monitor, 3)
      repair(monitor, 3)
      return { status: 'repaired' as const }
    })
    assert.equal(repaired.status, 'repaired')
    assert.deepEqual(heals, [3])
    monitor.checkFile(4, () => {
      monitor.recordEccRegionDamage()
      return { status: 'ecc-damaged' as const }
    })
    monitor.checkFile(5, () => ({ status: 'clean' as const }))
    assert.deepEqual(heals, [3, 4])
    assert.equal(monitor.repairCountOf(3), 2)
    assert.equal(monitor.stats().eccRegionsDamagedCount, 1)
  })

  test('checkFile() asks nothing for an unrecoverable file, and reads of it then ask nothing until a pass finds it healable', () => {
    const { monitor, heals } = monitorWithHeals()
    monitor.checkFile(9, () => {
      repair(monitor, 9)
      return { status: 'unrecoverable' as const, code: 'UNRECOVERABLE' }
    })
    repair(monitor, 9)
    assert.deepEqual(heals, [])
    monitor.checkFile(9, () => ({ status: 'repaired' as const }))
    assert.deepEqual(heals, [9], 'the newer pass vouched for every block')
  })

  test('an unrecoverable outcome from an I/O error does not stop heals: a retry may read', () => {
    const { monitor, heals } = monitorWithHeals()
    monitor.checkFile(2, () => ({ status: 'unrecoverable' as const, code: 'IO_ERROR' }))
    repair(monitor, 2)
    assert.deepEqual(heals, [2])
  })

  test('a heal that failed on damage stops the next requests for that file until forgetFile(); one that failed on I/O does not', () => {
    const { monitor, heals } = monitorWithHeals()
    monitor.healFinished(1, new StrataError('UNRECOVERABLE', 'Cannot read block: beyond ECC'), 0)
    monitor.healFinished(2, new StrataError('IO_ERROR', 'Cannot write: ENOSPC'), 0)
    repair(monitor, 1)
    repair(monitor, 2)
    assert.deepEqual(heals, [2])
    assert.equal(monitor.stats().healFailedCount, 2)
    monitor.forgetFile(1)
    repair(monitor, 1)
    assert.deepEqual(heals, [2, 1])
  })

  test('rewriteFailed() is true after a rewrite failed on damage, not after a scrub alone, until a scrub finds the file healable', () => {
    const { monitor } = monitorWithHeals()
    const damage = new StrataError('UNRECOVERABLE', 'Cannot read block: beyond ECC')
    monitor.checkFile(1, () => ({ status: 'unrecoverable' as const, code: 'UNRECOVERABLE' }))
    assert.equal(monitor.rewriteFailed(1), false, 'a scrub does not know which blocks a rewrite reads')
    monitor.recordHealFailure(2, new StrataError('IO_ERROR', 'Cannot write: ENOSPC'))
    assert.equal(monitor.rewriteFailed(2), false, 'an I/O error may pass')
    monitor.recordHealFailure(3, damage)
    monitor.checkFile(3, () => ({ status: 'unrecoverable' as const, code: 'UNRECOVERABLE' }))
    assert.equal(monitor.rewriteFailed(3), true, 'a later unrecoverable scrub keeps what the rewrite proved')
    monitor.checkFile(3, () => ({ status: 'repaired' as const }))
    assert.equal(monitor.rewriteFailed(3), false, 'a scrub that vouched for every block clears it')
    monitor.recordHealFailure(4, damage)
    monitor.forgetFile(4)
    assert.equal(monitor.rewriteFailed(4), false)
  })

  test('remembers at most UNHEALABLE_FILE_COUNT_MAX files, forgetting the oldest first', () => {
    const { monitor, heals } = monitorWithHeals()
    for (let fileNumber = 0; fileNumber <= UNHEALABLE_FILE_COUNT_MAX; fileNumber++) monitor.recordHealFailure(fileNumber, new StrataError('CHECKSUM_MISMATCH', 'Cannot read block: checksum mismatch'))
    repair(monitor, 0)
    repair(monitor, 1)
    repair(monitor, UNHEALABLE_FILE_COUNT_MAX)
    assert.deepEqual(heals, [0], 'only the oldest mark was dropped')
  })

  test('checkFile() does not nest', () => {
    const { monitor } = monitorWithHeals()
    assert.throws(() => monitor.checkFile(1, () => monitor.checkFile(2, () => ({ status: 'clean' as const }))), { name: 'AssertionError' })
    assert.equal(monitor.checkFile(3, () => ({ status: 'clean' as const })).status, 'clean', 'the failed check left no state behind')
  })
})
