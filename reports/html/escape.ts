/**
 * Escaping for the two contexts a report writes into: HTML text/attributes, and the inside of a
 * <script> element (JSON data and the inlined Vega bundles), where "</script" or "<!--" in the
 * content would end or confuse the element.
 */

const HTML_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for HTML element content and double- or single-quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c])
}

/**
 * Serialises `value` as JSON safe inside <script type="application/json">: every '<' becomes
 * \u003c (still valid JSON, parsed back to '<'), and U+2028/U+2029 are escaped for old parsers.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')
}

/**
 * Makes JavaScript source safe to inline in a <script> element: breaks any "</script" and "<!--"
 * (which only occur inside strings or regexes in minified bundles) with a backslash, and drops
 * the sourceMappingURL comment so the page never asks for a .map file.
 */
export function scriptForInline(source: string): string {
  return source
    .replace(/^\/\/# sourceMappingURL=.*$/gm, '')
    .replace(/<\/(script)/gi, '<\\/$1')
    .replace(/<!--/g, '<\\!--')
}
