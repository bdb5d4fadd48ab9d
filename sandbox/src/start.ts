// `npm start`: builds the page, then runs the whole flow locally (worker, proxy, sandbox) and prints
// where to click. Ctrl-C stops everything.
import { spawnSync } from 'node:child_process'
import { join, resolve } from 'node:path'
import { startStack } from './stack.ts'

const root = resolve(import.meta.dirname, '..', '..')

function port(name: string, fallback: number): number {
  const raw = process.env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    console.error(`${name} must be a port number (1–65535), got ${JSON.stringify(raw)}`)
    process.exit(1)
  }
  return value
}

const ports = { worker: port('WORKER_PORT', 8787), proxy: port('PROXY_PORT', 8788), sandbox: port('SANDBOX_PORT', 8789), access: port('ACCESS_PORT', 8790) }

console.log('licensedesk: building the page…')
const build = spawnSync(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'worker/web/vite.config.ts', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
})
if (build.status !== 0) process.exit(build.status ?? 1)

console.log('licensedesk: starting sandbox, egress proxy and worker…')
const stack = await startStack({
  root,
  ports,
  egressAddress: process.env.EGRESS_LOCAL_ADDRESS || '127.0.0.2',
  // DingTalk's recommended channel: the proxy opens the connection, nothing listens for DingTalk.
  events: process.env.DINGTALK_EVENTS === 'http' ? 'http' : 'stream',
}).catch((error: Error) => {
  console.error(`licensedesk: could not start: ${error.message}`)
  process.exit(1)
})

if (stack.createdSecrets) console.log(`licensedesk: generated dev keys in ${stack.secretsFile} (git-ignored)`)
const { urls } = stack
console.log(`
  licensedesk is running locally

  Apply (what the QR code opens)  ${urls.apply}
  DingTalk approver console       ${urls.console}
  Mailbox                         ${urls.inbox}
  Alerts: ops mailbox above, and  ${urls.robot}
  Operator console                ${urls.admin}
    (through the sandbox's Cloudflare Access: one click signs you in as ops@licensedesk.local)

  Pickup demo, a product that receives its license by itself (docs/pickup.md), in another terminal:
    npm run product -- --origin ${urls.worker}
  It shows its QR code; apply through it, approve in the DingTalk console, and the product writes
  the license file here.

  worker ${urls.worker}   egress proxy ${urls.proxy}   sandbox ${urls.sandbox}   Access front door ${urls.access}
  Ctrl-C stops all three.
`)

let stopping = false
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    console.log('\nlicensedesk: stopping…')
    stack.stop().then(() => process.exit(0))
  })
}
