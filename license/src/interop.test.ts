// A second, independent implementation (node:crypto, no jose) checks our licenses and signs ones
// our verifier must accept: the format is plain RFC 7515/8037, not an artefact of one library.
import { createHash, createPrivateKey, createPublicKey, sign, verify as verifySignature } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { issueLicense } from './issue.ts'
import { CHECKS, ISSUED, keyFixture, TERMS } from './test-fixtures.ts'
import { verifyLicense } from './verify.ts'

const { signingKey, privateJwk, publicJwk, jwks } = await keyFixture()

function split(armored: string) {
  const inner = /-----BEGIN LICENSE-----([\s\S]*?)-----END LICENSE-----/.exec(armored)![1].replace(/\s/g, '')
  const [header, payload, signature] = inner.split('.')
  return { header, payload, signature }
}

const decode = (segment: string) => JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'))

describe('interoperability with node:crypto', () => {
  it('node:crypto verifies the Ed25519 signature of an issued license over the JWS signing input', async () => {
    const { header, payload, signature } = split(await issueLicense(TERMS, signingKey, { now: ISSUED * 1000 }))
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x! }, format: 'jwk' })
    const input = Buffer.from(`${header}.${payload}`, 'ascii')
    expect(verifySignature(null, input, key, Buffer.from(signature, 'base64url'))).toBe(true)
    expect(decode(payload)).toEqual({ ...TERMS, iat: ISSUED, v: 1 })
  })

  it('names the key by its RFC 7638 thumbprint, computed independently', async () => {
    const { header } = split(await issueLicense(TERMS, signingKey, { now: ISSUED * 1000 }))
    const canonical = `{"crv":"Ed25519","kty":"OKP","x":"${publicJwk.x}"}`
    expect(decode(header)).toEqual({ alg: 'EdDSA', kid: createHash('sha256').update(canonical).digest('base64url'), typ: 'license+jwt' })
  })

  it('node:crypto rejects a license whose claims were altered', async () => {
    const { header, signature } = split(await issueLicense(TERMS, signingKey, { now: ISSUED * 1000 }))
    const forged = Buffer.from(JSON.stringify({ ...TERMS, iat: ISSUED, v: 1, qty: 500 })).toString('base64url')
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicJwk.x! }, format: 'jwk' })
    expect(verifySignature(null, Buffer.from(`${header}.${forged}`), key, Buffer.from(signature, 'base64url'))).toBe(false)
  })

  it('our verifier accepts a license signed by node:crypto following docs/license-format.md', async () => {
    const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
    const header = b64({ typ: 'license+jwt', kid: publicJwk.kid, alg: 'EdDSA' })
    const claims = { v: 1, ...TERMS, iat: ISSUED, note: 'extra claims are ignored' }
    const input = `${header}.${b64(claims)}`
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', x: privateJwk.x!, d: privateJwk.d! }, format: 'jwk' })
    const jws = `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`
    const armored = `-----BEGIN LICENSE-----\r\n${jws.match(/.{1,76}/g)!.join('\r\n')}\r\n-----END LICENSE-----`
    expect(await verifyLicense(armored, { keys: jwks, ...CHECKS })).toEqual({ ...TERMS, iat: ISSUED, v: 1 })
  })
})
