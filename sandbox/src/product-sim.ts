// A simulated product that picks up its license (docs/pickup.md): asks for a pickup, shows the apply
// link, polls /api/pickups/token at the interval (growing it on slow_down) and writes the license.
// Used by test/pickup.test.ts; by hand, against `npm start` (which prints this command):
//   npm run product -- [--origin http://localhost:8787] [--product id] [--fc CODE] [--out dir] [--renew file.lic]
// With --renew it shows its current license: the link is that license's renewal link.
// It shows the link as a QR code in the terminal, as a product's console would. The device code
// stays in memory: it is never printed.
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import QRCode from 'qrcode'
import { inspectLicense } from '../../license/src/index.ts'

export const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code'

export type PickupGrant = { user_code: string; verification_uri: string; verification_uri_complete: string; expires_in: number; interval: number }
export type PickedUp = { license: string; license_id: string; file_name: string; not_before: string; expires_at: string }
export type PickupOutcome =
  | { ok: true; license: PickedUp; receivedAt: number; polls: number }
  | { ok: false; error: string; description: string | null; polls: number }

export type ProductSim = {
  grant: PickupGrant
  /** Polls until the license arrives or the pickup ends (denied, expired, used). */
  wait(options?: { signal?: AbortSignal }): Promise<PickupOutcome>
}

/**
 * Asks the portal at `origin` for a pickup for this product and feature code; with `renews` (the
 * .lic text of the machine's current license), for that license's renewal.
 */
export async function startPickup(origin: string, product: string, featureCode: string, renews?: string): Promise<ProductSim> {
  const response = await fetch(new URL('/api/pickups', origin), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ product, feature_code: featureCode, ...(renews === undefined ? {} : { license: renews }) }),
  })
  if (response.status !== 200) throw new Error(`POST /api/pickups: ${response.status} ${await response.text()}`)
  const { device_code: deviceCode, ...grant } = (await response.json()) as PickupGrant & { device_code: string }
  return {
    grant,
    async wait(options = {}) {
      let interval = grant.interval * 1000
      let polls = 0
      for (;;) {
        await new Promise((done) => setTimeout(done, interval))
        if (options.signal?.aborted) return { ok: false, error: 'aborted', description: null, polls }
        polls += 1
        const answer = await fetch(new URL('/api/pickups/token', origin), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ grant_type: DEVICE_CODE_GRANT, device_code: deviceCode }),
        })
        const body = (await answer.json()) as PickedUp & { error?: string; error_description?: string }
        if (answer.status === 200) return { ok: true, license: body, receivedAt: Date.now(), polls }
        if (body.error === 'authorization_pending') continue
        if (body.error === 'slow_down') {
          interval += 5000
          continue
        }
        return { ok: false, error: body.error ?? `HTTP ${answer.status}`, description: body.error_description ?? null, polls }
      }
    },
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      origin: { type: 'string', default: process.env.PORTAL_ORIGIN ?? 'http://localhost:8787' },
      product: { type: 'string', default: 'hypermotion' },
      fc: { type: 'string' },
      out: { type: 'string', default: '.' },
      renew: { type: 'string' },
    },
  })
  const renews = values.renew === undefined ? undefined : await readFile(values.renew, 'utf8')
  // A product knows its machine's code; renewing, it is the license's (read as a product would).
  const fc = values.fc ?? (renews ? String(inspectLicense(renews).claims.fc) : `HM-SIM-${Date.now().toString(36).toUpperCase()}`)
  const sim = await startPickup(values.origin!, values.product!, fc, renews)
  console.log(`feature code ${fc}, user code ${sim.grant.user_code}`)
  console.log(await QRCode.toString(sim.grant.verification_uri_complete, { type: 'terminal', small: true }))
  console.log(`scan it, or open: ${sim.grant.verification_uri_complete}`)
  console.log(`or open ${sim.grant.verification_uri} and enter ${sim.grant.user_code}`)
  console.log(`polling every ${sim.grant.interval} s for up to ${sim.grant.expires_in} s to apply…`)
  const outcome = await sim.wait()
  // Exit code 1 and the RFC's error when the pickup ends without a license (refused, expired).
  if (!outcome.ok) {
    console.error(`no license: ${outcome.error}${outcome.description ? ` (${outcome.description})` : ''}`)
    process.exitCode = 1
    return
  }
  await mkdir(values.out!, { recursive: true })
  const path = join(values.out!, outcome.license.file_name)
  await writeFile(path, outcome.license.license)
  console.log(`license ${outcome.license.license_id} written to ${path} (valid until ${outcome.license.expires_at})`)
}

if (import.meta.main) await main()
