// The stand-in for challenges.cloudflare.com/turnstile/v0/api.js: the `turnstile` object the page
// calls (render, reset, remove, getResponse, isExpired) with the same options and callbacks. The
// real widget runs a challenge in an iframe; this one draws a checkbox in the container and asks
// the sandbox for a token (docs/sandbox.md, "Turnstile").
export function widgetScript(): string {
  return `(() => {
  const script = document.currentScript
  const origin = new URL(script.src).origin
  const widgets = new Map()
  let seq = 0
  const invisible = new Set(['1x00000000000000000000BB', '2x00000000000000000000BB'])
  // The real widget speaks the page's language (option \`language\`); these are its two here.
  const WORDS = {
    en: { ask: 'Verify you are human', busy: 'Verifying…', ok: '✓ Success', failed: 'Verification failed', expired: 'Expired' },
    'zh-cn': { ask: '确认您是真人', busy: '验证中…', ok: '✓ 成功', failed: '验证失败', expired: '已过期' },
  }
  const words = (w) => WORDS[String(w.opts.language || 'en').toLowerCase()] || WORDS.en
  async function solve(w) {
    w.box.textContent = words(w).busy
    try {
      const answer = await fetch(origin + '/turnstile/v0/token', {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: JSON.stringify({ sitekey: w.opts.sitekey, action: w.opts.action || '', cdata: w.opts.cData || w.opts.cdata || '', hostname: location.hostname }),
      })
      const body = await answer.json()
      if (!answer.ok) throw new Error(body.code || 'failed')
      w.token = body.token
      w.expiresAt = Date.now() + body.ttl_ms
      w.box.textContent = words(w).ok
      w.box.dataset.state = 'solved'
      clearTimeout(w.timer)
      w.timer = setTimeout(() => { w.token = undefined; w.box.dataset.state = 'expired'; w.box.textContent = words(w).expired; w.opts['expired-callback'] && w.opts['expired-callback']() }, body.ttl_ms)
      w.opts.callback && w.opts.callback(body.token)
    } catch (error) {
      w.box.dataset.state = 'failed'
      w.box.textContent = words(w).failed
      w.opts['error-callback'] && w.opts['error-callback'](String(error && error.message || error))
    }
  }
  function draw(w) {
    w.box.replaceChildren()
    w.box.dataset.state = 'ready'
    if (invisible.has(w.opts.sitekey) || w.opts.appearance === 'execute') { void solve(w); return }
    const label = document.createElement('label')
    const box = document.createElement('input')
    box.type = 'checkbox'
    box.addEventListener('change', () => void solve(w), { once: true })
    label.append(box, ' ' + words(w).ask)
    w.box.append(label)
  }
  window.turnstile = {
    render(container, opts) {
      const host = typeof container === 'string' ? document.querySelector(container) : container
      const id = 'sandbox-turnstile-' + (++seq)
      const box = document.createElement('div')
      box.className = 'sandbox-turnstile'
      box.dataset.widgetId = id
      host.append(box)
      const w = { id, box, opts: opts || {} }
      widgets.set(id, w)
      draw(w)
      return id
    },
    reset(id) { const w = id ? widgets.get(id) : [...widgets.values()][0]; if (w) { clearTimeout(w.timer); w.token = undefined; draw(w) } },
    remove(id) { const w = widgets.get(id); if (w) { clearTimeout(w.timer); w.box.remove(); widgets.delete(id) } },
    getResponse(id) { const w = id ? widgets.get(id) : [...widgets.values()][0]; return w && w.token },
    isExpired(id) { const w = id ? widgets.get(id) : [...widgets.values()][0]; return !w || !w.expiresAt || Date.now() > w.expiresAt },
    ready(callback) { callback() },
  }
  const onload = new URL(script.src).searchParams.get('onload')
  if (onload && typeof window[onload] === 'function') window[onload]()
})()
`
}
