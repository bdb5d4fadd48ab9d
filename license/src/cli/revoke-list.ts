// `license revoke-list`: signs a revocation list locally from a file of license ids, with the
// private key given by --key; the same library path the worker uses to publish its list.
import { signRevocationList } from '../revocations.ts'
import { optional, parseCommand, parseInstant, required } from './args.ts'
import { CliError, EXIT } from './errors.ts'
import { signingKeyFrom } from './issue.ts'
import { readText, writeNewFile, type Io } from './io.ts'

export const REVOKE_LIST_HELP = `Usage: license revoke-list --key <private JWK file> --iss <origin>
                           --revoked <file|-> [--now <date>] [--out <file>]

Signs a license revocation list (docs/license-format.md, "Revocation list").
  --key <file>        the private license key (JWK) that signs it
  --iss <origin>      the portal origin, e.g. https://licenses.example.com
  --revoked <file|->  one revoked license per line: "<license id>[,<revoked at>]", the time as
                      ISO 8601 or epoch seconds (default: --now); blank lines and # comments skipped
  --now <date>        the issue time (iat); default now
  --out <file>        write the list to a new file instead of stdout
  --json              print {"list", "kid", "claims"}
`

const TEXT = { type: 'string' } as const

type Entry = { sub: string; revokedAt: number }

function entriesFrom(text: string, path: string, now: number): Entry[] {
  const entries: Entry[] = []
  for (const [index, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const [sub, at, ...rest] = line.split(',').map((part) => part.trim())
    const where = `${path} line ${index + 1}`
    if (sub === '' || rest.length > 0) {
      throw new CliError('INPUT_ERROR', `${where}: expected "<license id>[,<revoked at>]"`)
    }
    let seconds = now
    try {
      if (at !== undefined && at !== '') seconds = parseInstant(at, 'revoked')
    } catch {
      const message = `${where}: "${at}" is not an ISO 8601 date or epoch seconds`
      throw new CliError('INPUT_ERROR', message)
    }
    entries.push({ sub, revokedAt: seconds * 1000 })
  }
  return entries
}

export async function revokeList(argv: string[], io: Io): Promise<number> {
  const options = { key: TEXT, iss: TEXT, revoked: TEXT, now: TEXT, out: TEXT }
  const parsed = parseCommand('revoke-list', argv, options)
  if (parsed.values.help) return io.stdout(REVOKE_LIST_HELP), EXIT.OK
  if (parsed.positionals.length > 0) {
    const message = `revoke-list: unexpected argument "${parsed.positionals[0]}"`
    throw new CliError('USAGE_ERROR', message)
  }
  const keyFile = required(parsed, 'key', 'revoke-list')
  const iss = required(parsed, 'iss', 'revoke-list')
  const revokedFile = required(parsed, 'revoked', 'revoke-list')
  const nowFlag = optional(parsed, 'now')
  const now = nowFlag !== undefined ? parseInstant(nowFlag, 'now') : Math.floor(Date.now() / 1000)
  const revoked = entriesFrom(await readText(revokedFile, 'revoked file', io), revokedFile, now)
  const signingKey = await signingKeyFrom(keyFile, io)
  let list: string
  try {
    list = await signRevocationList({ iss, revoked }, signingKey, { now: now * 1000 })
  } catch (cause) {
    if (!(cause instanceof TypeError || cause instanceof RangeError)) throw cause
    throw new CliError('INPUT_ERROR', `revoke-list: ${cause.message}`, { cause })
  }
  const out = optional(parsed, 'out')
  if (out !== undefined) await writeNewFile(out, `${list}\n`, 'revocation list')
  if (parsed.values.json) {
    const claims = JSON.parse(Buffer.from(list.split('.')[1], 'base64url').toString('utf8'))
    io.stdout(`${JSON.stringify({ list, kid: signingKey.kid, claims }, null, 2)}\n`)
  } else if (out === undefined) io.stdout(`${list}\n`)
  else {
    const entries = `${revoked.length} revoked license${revoked.length === 1 ? '' : 's'}`
    io.stderr(`revocation list of ${entries} written to ${out} (key ${signingKey.kid})\n`)
  }
  return EXIT.OK
}
