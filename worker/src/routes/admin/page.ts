// GET /admin: the operator console's page behind the Access guard. A placeholder until the
// console's views are built: who is signed in and with which role. Rendered here rather than by
// the Vue build so it passes the guard first; no script, its stylesheet allowed by hash.
import { Hono } from 'hono'
import { html, raw } from 'hono/html'
import type { StaffEnv } from '../../env.ts'
import { consolePageCsp, cspValue } from '../../security-headers.ts'
import { requireStaff } from './guard.ts'

const CSS = `
:root{color-scheme:light dark;--fg:#1d2330;--muted:#5b6475;--bg:#f4f6fa;--card:#fff;--line:#dde2ea;--accent:#1f6feb}
@media (prefers-color-scheme:dark){:root{--fg:#e6e9ef;--muted:#9aa3b2;--bg:#12151b;--card:#1b2029;--line:#2c3340}}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:.75rem;align-items:baseline;padding:.85rem 1rem;border-bottom:1px solid var(--line);background:var(--card)}
header span{color:var(--muted)}main{max-width:40rem;margin:0 auto;padding:1.25rem 1rem}h1{font-size:1.35rem;margin:0 0 1rem}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.1rem;margin:0 0 1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1rem;margin:0}dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}
.role{display:inline-block;padding:.05rem .6rem;border-radius:99px;border:1px solid currentColor;font-size:.85rem;font-weight:600;color:var(--accent)}
p{margin:.5rem 0}.muted{color:var(--muted)}a{color:var(--accent)}
`

async function sha256Base64(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)))
  return btoa(String.fromCharCode(...digest))
}

const ROLE_HINT = { operator: 'can look and act', viewer: 'can look, not act' } as const

export const adminPage = new Hono<StaffEnv>().use(requireStaff()).get('/', async (c) => {
  const { email, role } = c.var.staff
  c.header('Content-Security-Policy', cspValue(consolePageCsp(await sha256Base64(CSS))))
  return c.html(html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Operator console · licensedesk</title>
<style>${raw(CSS)}</style>
</head>
<body>
<header><strong>licensedesk</strong><span>Operator console</span></header>
<main>
<h1>Operator console</h1>
<section aria-labelledby="signed-in">
<h2 id="signed-in" hidden>Signed in</h2>
<dl>
<dt>Signed in as</dt><dd data-testid="staff-email">${email}</dd>
<dt>Role</dt><dd><span class="role" data-testid="staff-role">${role}</span> <span class="muted">${ROLE_HINT[role]}</span></dd>
</dl>
</section>
<p class="muted">Verified by the worker from the Cloudflare Access token. The console's pages and actions are not built yet; its read API is (/api/admin/applications, /attention, /health, /licenses).</p>
<p><a href="/cdn-cgi/access/logout">Sign out</a></p>
</main>
</body>
</html>
`)
})
