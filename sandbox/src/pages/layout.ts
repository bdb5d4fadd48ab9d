// Shared page frame: HTML escaping (every dynamic value goes through `html`), the small inline
// stylesheet, and the header with links. No scripts, no external assets.

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Escapes text for element content and quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (ch) => ENTITIES[ch])
}

/** Tagged template that escapes every interpolated value unless it is `raw(...)`. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Raw {
  let out = strings[0]
  values.forEach((value, index) => {
    out += render(value) + strings[index + 1]
  })
  return new Raw(out)
}

export class Raw {
  readonly value: string
  constructor(value: string) {
    this.value = value
  }
  toString(): string {
    return this.value
  }
}

function render(value: unknown): string {
  if (value instanceof Raw) return value.value
  if (Array.isArray(value)) return value.map(render).join('')
  if (value === undefined || value === null || value === false) return ''
  return escapeHtml(value)
}

export function formatTime(iso: string | number | undefined | null): string {
  if (iso === undefined || iso === null) return ''
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC'
}

const CSS = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6475;--bg:#f4f6fa;--card:#fff;--line:#dde2ea;--ok:#1a7f37;--bad:#c62828;--warn:#9a6700;--accent:#1f6feb}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#9aa3b2;--bg:#12151b;--card:#1b2029;--line:#2c3340}}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:baseline;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--card)}
header strong{font-size:1.05rem}header nav{display:flex;gap:1rem}a{color:var(--accent)}
main{max-width:60rem;margin:0 auto;padding:1rem}h1{font-size:1.3rem;margin:.25rem 0 1rem}h2{font-size:1.05rem;margin:0 0 .5rem;overflow-wrap:anywhere}
article{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem;margin:0 0 1rem}
dl{display:grid;grid-template-columns:minmax(7rem,max-content) 1fr;gap:.25rem 1rem;margin:.5rem 0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere;white-space:pre-wrap}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:99px;border:1px solid currentColor;font-size:.8rem;font-weight:600}
.ok{color:var(--ok)}.bad{color:var(--bad)}.warn{color:var(--warn)}.muted{color:var(--muted)}
.actions{display:flex;flex-wrap:wrap;gap:.5rem;margin-top:.75rem}.actions form{margin:0}
button{font:inherit;padding:.45rem 1.1rem;border-radius:8px;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer;min-height:2.5rem}
form.decide label{display:block;margin:0 0 6px}form.decide textarea{display:block;width:100%;max-width:420px;box-sizing:border-box;font:inherit}button.approve{background:var(--ok);border-color:var(--ok);color:#fff}button.reject{background:var(--bad);border-color:var(--bad);color:#fff}
input[type=text]{font:inherit;padding:.4rem;border-radius:8px;border:1px solid var(--line);min-width:12rem;background:var(--card);color:var(--fg)}
iframe{width:100%;min-height:16rem;border:1px solid var(--line);border-radius:8px;background:#fff}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:var(--bg);padding:.75rem;border-radius:8px;margin:.5rem 0}
.toolbar{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;margin-bottom:1rem}
@media (max-width:40rem){dl{grid-template-columns:1fr}dt{margin-top:.35rem}main{padding:.6rem}}
`

export type LayoutOptions = { title: string; refreshSeconds?: number }

export function layout(options: LayoutOptions, body: Raw): string {
  const refresh = options.refreshSeconds ? html`<meta http-equiv="refresh" content="${options.refreshSeconds}">` : ''
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
${refresh}
<title>${options.title} · licensedesk sandbox</title>
<style>${new Raw(CSS)}</style>
</head>
<body>
<header><strong>licensedesk sandbox</strong><nav aria-label="Sandbox"><a href="/">Home</a><a href="/console">Approver console</a><a href="/inbox">Inbox</a><a href="/robot">Group robot</a></nav></header>
<main>
${body}
</main>
</body>
</html>
`.value
}
