import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { formatBytes, formatChange, formatCount, formatNumber, formatRatio, shortCommit } from './format.ts'
import { escapeHtml, jsonForScript, scriptForInline } from './html/escape.ts'

describe('formatCount()', () => {
  test('groups integers and never shows decimals (a count of 3 is not 3.00)', () => {
    assert.deepEqual([3, 50000, 1].map(formatCount), ['3', '50,000', '1'])
  })
})

describe('formatNumber()', () => {
  test('groups from 100, one decimal from 10, two below, dash for non-finite', () => {
    assert.deepEqual([184537.4, 120, 47.91, 4.013, 0, Number.NaN].map(formatNumber), ['184,537', '120', '47.9', '4.01', '0.00', '–'])
  })
  test('formatChange(), formatRatio(), formatBytes() and shortCommit() format their units', () => {
    assert.deepEqual([-0.1234, 0.2, 0, 0.00001].map(formatChange), ['-12.3%', '+20.0%', '0.0%', '0.0%'])
    assert.equal(formatRatio(0.8312), '0.83×')
    assert.equal(formatRatio(null), '–')
    assert.equal(formatBytes(55_262_412), '52.7 MiB')
    assert.equal(shortCommit('62eeca732a37a6115df97b98946d22053c3adbb2'), '62eeca7')
    assert.equal(shortCommit('unknown'), 'unknown')
  })
})

describe('escaping', () => {
  test('escapeHtml() escapes markup and quotes', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;')
  })
  test('jsonForScript() cannot close the script element and parses back', () => {
    const value = { text: '</script><script>alert(1)</script>' }
    const json = jsonForScript(value)
    assert.doesNotMatch(json, /<\/script/i)
    assert.deepEqual(JSON.parse(json), value)
  })
  test('scriptForInline() breaks "</script" and drops the source map comment', () => {
    assert.equal(scriptForInline('a="</script>";\n//# sourceMappingURL=x.map'), 'a="<\\/script>";\n')
  })
})
