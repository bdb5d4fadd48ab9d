import { describe, expect, it } from 'vitest'
import { escapeHtml } from './escape.ts'

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;',
    )
  })

  it('escapes an ampersand once, leaves other text alone and accepts numbers', () => {
    expect(escapeHtml('&amp;')).toBe('&amp;amp;')
    expect(escapeHtml('李雷 Example Co.')).toBe('李雷 Example Co.')
    expect(escapeHtml(42)).toBe('42')
  })
})
