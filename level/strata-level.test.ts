import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import fs from 'node:fs'
import { StrataError, type StrataErrorCode } from '../index.ts'
import { levelCodeOf } from './errors.ts'
import { openDamagedStore, openTooLargeStore } from './test-support.ts'

describe('StrataLevel has() and hasMany() with KV separation', () => {
  test('are true for a streamed value too large to read whole, now and through a snapshot', async () => {
    const db = await openTooLargeStore()
    assert.equal(await db.has('c-big'), true)
    assert.deepEqual(await db.hasMany(['a', 'c-big', 'x']), [true, true, false])
    const snapshot = db.snapshot()
    await db.del('c-big')
    assert.equal(await db.has('c-big'), false)
    assert.equal(await db.has('c-big', { snapshot }), true)
    assert.deepEqual(await db.hasMany(['c-big', 'x'], { snapshot }), [true, false])
    await snapshot.close()
    await db.close()
  })

  test('read no blob file: a damaged value exists although its get fails', async () => {
    const db = await openDamagedStore()
    assert.equal(await db.has('key3'), true)
    assert.deepEqual(await db.hasMany(['key2', 'key3', 'key10']), [true, true, false])
    await assert.rejects(db.get('key3'), { code: 'LEVEL_CORRUPTION' })
    await db.close()
  })
})

describe('StrataLevel errors', () => {
  test('getMany() of a value too large to read whole rejects with the StrataError', async () => {
    const db = await openTooLargeStore()
    await assert.rejects(db.getMany(['a', 'c-big']), (error) => error instanceof StrataError && error.code === 'VALUE_TOO_LARGE')
    await db.close()
  })

  test('every code README lists maps as the docs/level.md "Errors" table says', () => {
    const readme = fs.readFileSync(new URL('../README.md', import.meta.url), 'utf8')
    const listed = /branch on is a `StrataError` with a stable `code`:([^.]*)\./.exec(readme)
    assert.ok(listed, 'README lists the codes')
    const codes = [...listed[1].matchAll(/`([A-Z_]+)`/g)].map((match) => match[1] as StrataErrorCode)
    assert.ok(codes.includes('VALUE_TOO_LARGE'))
    const doc = fs.readFileSync(new URL('../docs/level.md', import.meta.url), 'utf8')
    const table = doc.slice(doc.indexOf('| StrataError `code` | level `code` |'), doc.indexOf('An open that fails'))
    const documented = new Map<string, string | undefined>()
    for (const row of table.split('\n').slice(2)) {
      const cells = row.split('|').slice(1, -1)
      if (cells.length !== 2) continue
      const levelCode = /`(LEVEL_[A-Z_]+)`/.exec(cells[1])?.[1]
      for (const match of cells[0].matchAll(/`([A-Z_]+)`/g)) documented.set(match[1], levelCode)
    }
    for (const code of codes) {
      assert.ok(documented.has(code), `docs/level.md lists ${code}`)
      assert.equal(levelCodeOf(code), documented.get(code), code)
    }
  })
})
