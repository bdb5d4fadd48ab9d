// `license keygen --out <file>`: a new Ed25519 license key pair; the private JWK goes to a new file
// (mode 0600, never overwritten), the public JWK with its kid to stdout.
import { generateLicenseKeyPair } from '../keys.ts'
import { parseCommand, required } from './args.ts'
import { EXIT } from './errors.ts'
import { writeNewFile, type Io } from './io.ts'

export const KEYGEN_HELP = `Usage: license keygen --out <file>

Generates a new Ed25519 license key pair.
  --out <file>   where to write the private JWK (created with mode 0600; an existing file is never
                 overwritten). Keep it secret: it becomes the worker's LICENSE_PRIVATE_JWK.
The public JWK (with kid = RFC 7638 thumbprint) is printed to stdout: add it to LICENSE_PUBLIC_JWKS.
`

export async function keygen(argv: string[], io: Io): Promise<number> {
  const parsed = parseCommand('keygen', argv, { out: { type: 'string' } })
  if (parsed.values.help) return io.stdout(KEYGEN_HELP), EXIT.OK
  const out = required(parsed, 'out', 'keygen')
  const { privateJwk, publicJwk } = await generateLicenseKeyPair()
  await writeNewFile(out, `${JSON.stringify(privateJwk, null, 2)}\n`, 'private key', 0o600)
  io.stdout(`${JSON.stringify(publicJwk, null, 2)}\n`)
  if (!parsed.values.json) {
    io.stderr(`private key ${publicJwk.kid} written to ${out} (mode 0600): keep it secret\n`)
  }
  return EXIT.OK
}
