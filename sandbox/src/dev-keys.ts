// Local secrets for `npm start` and the full-stack tests: three Ed25519 key pairs, DingTalk app
// credentials for the sandbox, a Resend key, the worker's status-token secret. Generated once into a
// git-ignored file, never committed.
import { randomBytes } from 'node:crypto'
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { JWK } from 'jose'
import { generateEd25519Jwk } from '../../proof/src/index.ts'

export type DevSecrets = {
  workerPrivateJwk: JWK
  workerPublicJwk: JWK
  proxyPrivateJwk: JWK
  proxyPublicJwk: JWK
  licensePrivateJwk: JWK
  licensePublicJwk: JWK
  dingtalk: { appKey: string; appSecret: string; callbackToken: string; aesKey: string; corpId: string }
  resendApiKey: string
  /** The worker's STATUS_TOKEN_SECRET (HMAC key of the applicants' status links). */
  statusTokenSecret: string
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

function randomText(length: number, alphabet = ALPHANUMERIC): string {
  let out = ''
  for (const byte of randomBytes(length)) out += alphabet[byte % alphabet.length]
  return out
}

export async function generateDevSecrets(): Promise<DevSecrets> {
  const [worker, proxy, license] = await Promise.all([generateEd25519Jwk(), generateEd25519Jwk(), generateEd25519Jwk()])
  return {
    workerPrivateJwk: worker.privateJwk,
    workerPublicJwk: worker.publicJwk,
    proxyPrivateJwk: proxy.privateJwk,
    proxyPublicJwk: proxy.publicJwk,
    licensePrivateJwk: license.privateJwk,
    licensePublicJwk: license.publicJwk,
    dingtalk: {
      appKey: `dingdev${randomText(12).toLowerCase()}`,
      appSecret: randomText(48),
      callbackToken: randomText(24),
      aesKey: randomText(43),
      corpId: `dingcorp${randomText(16).toLowerCase()}`,
    },
    resendApiKey: `re_dev_${randomText(24)}`,
    statusTokenSecret: newStatusTokenSecret(),
  }
}

const newStatusTokenSecret = (): string => randomText(48)

async function writeSecrets(file: string, secrets: DevSecrets, flag: 'w' | 'wx'): Promise<void> {
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag })
  // `mode` applies only when the file is created; an existing one is narrowed here.
  await chmod(file, 0o600)
}

/** Adds what a file written by an earlier version lacks; null when nothing was missing. */
function completeSecrets(stored: DevSecrets): DevSecrets | null {
  if (typeof stored.statusTokenSecret === 'string' && stored.statusTokenSecret.length >= 32) return null
  return { ...stored, statusTokenSecret: newStatusTokenSecret() }
}

/**
 * Reads the secrets file, creating it (mode 0600) on first use. A file from an earlier version gets
 * the secrets it lacks (the status-token secret) added and is rewritten, still 0600.
 */
export async function loadDevSecrets(file: string): Promise<{ secrets: DevSecrets; created: boolean }> {
  let text: string | null = null
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`cannot read ${file}: ${(error as Error).message}`)
  }
  if (text !== null) {
    const stored = JSON.parse(text) as DevSecrets
    const completed = completeSecrets(stored)
    if (completed) await writeSecrets(file, completed, 'w')
    return { secrets: completed ?? stored, created: false }
  }
  const secrets = await generateDevSecrets()
  await mkdir(dirname(file), { recursive: true })
  await writeSecrets(file, secrets, 'wx')
  return { secrets, created: true }
}

/** A dotenv file for `wrangler dev --env-file`: JSON values single-quoted. */
export function toEnvFile(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => {
      if (value.includes("'") || value.includes('\n')) throw new Error(`${key} cannot be written to an env file`)
      return `${key}='${value}'`
    })
    .join('\n')
    .concat('\n')
}
