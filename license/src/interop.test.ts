// A second, independent implementation (node:crypto, no jose) checks our licenses and signs ones
// our verifier must accept: the format is plain RFC 7515/8037, not an artefact of one library.
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto'
import { verify as verifySignature } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { issueLicense } from './issue.ts'
import { CHECKS, ISSUED, keyFixture, TERMS } from './test-fixtures.ts'
import { verifyLicense } from './verify.ts'

const { signingKey, privateJwk, publicJwk, jwks } = await keyFixture()
const CLAIMS = { ...TERMS, iat: ISSUED, v: 1 }
const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x! }, format: 'jwk' })

function split(armored: string) {
  const armor = /-----BEGIN LICENSE-----([\s\S]*?)-----END LICENSE-----/.exec(armored)!
  const [header, payload, signature] = armor[1].replace(/\s/g, '').split('.')
  return { header, payload, signature }
}

const decode = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const holds = (input: string, signature: string) =>
  verifySignature(null, Buffer.from(input, 'ascii'), publicKey, Buffer.from(signature, 'base64url'))

describe('interoperability with node:crypto', () => {
  it('node:crypto verifies the Ed25519 signature over the JWS signing input', async () => {
    const license = await issueLicense(TERMS, signingKey, { now: ISSUED * 1000 })
    const { header, payload, signature } = split(license)
    expect(holds(`${header}.${payload}`, signature)).toBe(true)
    expect(decode(payload)).toEqual(CLAIMS)
  })

  it('names the key by its RFC 7638 thumbprint, computed independently', async () => {
    const { header } = split(await issueLicense(TERMS, signingKey, { now: ISSUED * 1000 }))
    const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${publicJwk.x}"}`
    const kid = createHash('sha256').update(canonical).digest('base64url')
    expect(decode(header)).toEqual({ alg: 'EdDSA', kid, typ: 'license+jwt' })
  })

  it('node:crypto rejects a license whose claims were altered', async () => {
    const { header, signature } = split(await issueLicense(TERMS, signingKey, { now: ISSUED * 1000 }))
    expect(holds(`${header}.${encode({ ...CLAIMS, qty: 500 })}`, signature)).toBe(false)
  })

  it('our verifier accepts a license that node:crypto signed per docs/license-format.md', async () => {
    const header = encode({ typ: 'license+jwt', kid: publicJwk.kid, alg: 'EdDSA' })
    const input = `${header}.${encode({ ...CLAIMS, note: 'extra claims are ignored' })}`
    const jwk = { kty: 'OKP', crv: 'Ed25519', x: privateJwk.x!, d: privateJwk.d! }
    const signature = sign(null, Buffer.from(input), createPrivateKey({ key: jwk, format: 'jwk' }))
    const lines = `${input}.${signature.toString('base64url')}`.match(/.{1,76}/g)!
    const armored = `-----BEGIN LICENSE-----\r\n${lines.join('\r\n')}\r\n-----END LICENSE-----`
    expect(await verifyLicense(armored, { keys: jwks, ...CHECKS })).toEqual(CLAIMS)
  })
})
