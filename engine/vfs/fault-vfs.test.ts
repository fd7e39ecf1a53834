import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { MemVfs } from './mem-vfs.ts'
import { FaultVfs } from './fault-vfs.ts'
import { isStrataError } from '../errors.ts'

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text)
const readAllOf = (vfs: MemVfs, filePath: string): string => {
  const file = vfs.openRead(filePath)
  const target = new Uint8Array(file.sizeBytes())
  file.read(target, 0)
  return new TextDecoder().decode(target)
}

describe('FaultVfs', () => {
  test('passes operations through when no rule matches', async () => {
    const mem = new MemVfs()
    const vfs = new FaultVfs(mem, { rules: [{ op: 'sync', path: /\.wal$/ }] })
    vfs.mkdirp('/d')
    const file = vfs.create('/d/a.sst')
    file.append([bytes('hello')])
    await file.sync()
    await vfs.syncDirectory('/d')
    assert.equal(readAllOf(mem.crash(), '/d/a.sst'), 'hello')
    assert.equal(vfs.injected.length, 0)
  })

  test('fails the nth matching operation once with IO_ERROR carrying the errno', async () => {
    const vfs = new FaultVfs(new MemVfs(), { rules: [{ op: 'sync', path: /\.wal$/, nth: 2, errno: 'ENOSPC' }] })
    vfs.mkdirp('/d')
    const file = vfs.create('/d/1.wal')
    await file.sync()
    await assert.rejects(file.sync(), (error) => isStrataError(error, 'IO_ERROR') && error.details.errno === 'ENOSPC')
    await file.sync()
    assert.deepEqual(vfs.injected.map((fault) => [fault.op, fault.errno]), [['sync', 'ENOSPC']])
  })

  test('fails every matching operation when neither nth nor probability is set, until the rules are cleared', () => {
    const vfs = new FaultVfs(new MemVfs(), { rules: [{ op: 'append', errno: 'ENOSPC' }] })
    vfs.mkdirp('/d')
    const file = vfs.create('/d/x')
    for (let i = 0; i < 3; i++) assert.throws(() => file.append([bytes('a')]), { code: 'IO_ERROR' })
    assert.equal(file.sizeBytes(), 0)
    vfs.clearRules()
    file.append([bytes('a')])
    assert.equal(file.sizeBytes(), 1)
  })

  test('probability draws from the seed: the same seed injects the same faults', () => {
    const run = (seed: number): number[] => {
      const vfs = new FaultVfs(new MemVfs(), { seed, rules: [{ op: 'append', probability: 0.3 }] })
      vfs.mkdirp('/d')
      const file = vfs.create('/d/x')
      for (let i = 0; i < 200; i++) {
        try {
          file.append([bytes('a')])
        } catch {
          // counted through injected
        }
      }
      return vfs.injected.map((fault) => fault.opIndex)
    }
    assert.deepEqual(run(7), run(7))
    assert.notDeepEqual(run(7), run(8))
    const count = run(7).length
    assert.ok(count > 30 && count < 100, `about 60 of 200 expected, got ${count}`)
  })

  test('short-write appends a strict prefix of the chunks, then throws', () => {
    const mem = new MemVfs()
    const vfs = new FaultVfs(mem, { seed: 3, rules: [{ op: 'append', mode: 'short-write', errno: 'ENOSPC' }] })
    vfs.mkdirp('/d')
    const file = vfs.create('/d/x')
    assert.throws(() => file.append([bytes('0123456789'), bytes('abcdefghij')]), (error) => isStrataError(error, 'IO_ERROR') && error.details.errno === 'ENOSPC')
    assert.ok(file.sizeBytes() < 20)
    assert.equal(readAllOf(mem, '/d/x'), '0123456789abcdefghij'.slice(0, file.sizeBytes()))
  })

  test('lying-sync reports success but a crash loses the bytes', async () => {
    const mem = new MemVfs()
    const vfs = new FaultVfs(mem, { rules: [{ op: 'sync', mode: 'lying-sync', nth: 2 }] })
    vfs.mkdirp('/d')
    const file = vfs.create('/d/x')
    file.append([bytes('first')])
    await file.sync()
    await vfs.syncDirectory('/d')
    file.append([bytes('second')])
    await file.sync() // lies
    assert.equal(readAllOf(mem.crash(), '/d/x'), 'first')
  })

  test('a lying directory sync loses the un-synced rename on crash', async () => {
    const mem = new MemVfs()
    const vfs = new FaultVfs(mem, { rules: [{ op: 'syncDirectory', mode: 'lying-sync', nth: 2 }] })
    vfs.mkdirp('/d')
    const file = vfs.create('/d/tmp')
    file.append([bytes('x')])
    await file.sync()
    await vfs.syncDirectory('/d')
    vfs.rename('/d/tmp', '/d/final')
    await vfs.syncDirectory('/d') // lies
    const after = mem.crash()
    assert.equal(after.exists('/d/final'), false)
    assert.equal(after.exists('/d/tmp'), true)
  })

  test('halt fails every later operation; onOp sees each operation with its index', async () => {
    const seen: string[] = []
    const vfs = new FaultVfs(new MemVfs(), { onOp: (op, _path, index) => seen.push(`${index}:${op}`) })
    vfs.mkdirp('/d')
    const file = vfs.create('/d/x')
    file.append([bytes('a')])
    vfs.halt('test')
    assert.throws(() => file.append([bytes('b')]), { code: 'IO_ERROR' })
    await assert.rejects(file.sync(), { code: 'IO_ERROR' })
    assert.deepEqual(seen, ['0:create', '1:append'])
    assert.equal(vfs.opCount, 4)
  })

  test('rejects rules that cannot apply', () => {
    const vfs = new FaultVfs(new MemVfs())
    assert.throws(() => vfs.addRule({ op: 'sync', mode: 'short-write' }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => vfs.addRule({ op: 'append', mode: 'lying-sync' }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => vfs.addRule({ op: 'append', nth: 0 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => vfs.addRule({ op: 'append', probability: 2 }), { code: 'INVALID_ARGUMENT' })
  })
})

describe('MemVfs.crash() with writeback', () => {
  test('keeps the synced bytes plus the prefix of the unsynced ones it is told, per file', async () => {
    const mem = new MemVfs()
    mem.mkdirp('/d')
    const a = mem.create('/d/a')
    const b = mem.create('/d/b')
    a.append([bytes('synced-')])
    b.append([bytes('synced-')])
    await a.sync()
    await b.sync()
    await mem.syncDirectory('/d')
    a.append([bytes('unsynced')])
    b.append([bytes('unsynced')])
    const asked: Array<[string, number]> = []
    const crashed = mem.crash({
      writtenBackBytes: (filePath, unsyncedBytes) => {
        asked.push([filePath, unsyncedBytes])
        return filePath === '/d/a' ? 3 : unsyncedBytes
      },
    })
    assert.deepEqual(asked, [['/d/a', 8], ['/d/b', 8]])
    assert.equal(readAllOf(crashed, '/d/a'), 'synced-uns')
    assert.equal(readAllOf(crashed, '/d/b'), 'synced-unsynced')
    assert.equal(readAllOf(mem.crash(), '/d/a'), 'synced-', 'without writeback only synced bytes survive')
    // What survived is durable in the new image: a second crash keeps it.
    assert.equal(readAllOf(crashed.crash(), '/d/a'), 'synced-uns')
  })

  test('a file truncated and rewritten since its sync keeps only its synced bytes', async () => {
    const mem = new MemVfs()
    mem.mkdirp('/d')
    const file = mem.create('/d/a')
    file.append([bytes('synced')])
    await file.sync()
    await mem.syncDirectory('/d')
    file.truncate(2)
    file.append([bytes('XXXXXXXX')])
    const crashed = mem.crash({ writtenBackBytes: () => assert.fail('not asked: no appended-only tail') })
    assert.equal(readAllOf(crashed, '/d/a'), 'synced')
  })

  test('a count outside 0 … unsyncedBytes is INVALID_ARGUMENT', async () => {
    const mem = new MemVfs()
    mem.mkdirp('/d')
    mem.create('/d/a').append([bytes('abc')])
    await mem.syncDirectory('/d')
    assert.throws(() => mem.crash({ writtenBackBytes: () => 4 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => mem.crash({ writtenBackBytes: () => -1 }), { code: 'INVALID_ARGUMENT' })
    assert.throws(() => mem.crash({ writtenBackBytes: () => 1.5 }), { code: 'INVALID_ARGUMENT' })
  })
})
