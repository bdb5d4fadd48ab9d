import { CompactSign, base64url } from 'jose'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  MemoryReplayStore,
  PROOF_ERROR_CODES,
  PROXY_AUDIENCE,
  ProofError,
  createProof,
  generateEd25519Jwk,
  importPublicKeys,
  importSigningKey,
  verifyProof,
  type PublicKeySet,
  type SigningKey,
} from './index.ts'
import { readFileSync } from 'node:fs'

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0)
const TARGET = '/relay/api/v1.0/workflow/processInstances'
const BODY = '{"processCode":"PROC-1","formComponentValues":[{"name":"姓名","value":"张三"}]}'

let signer: SigningKey
let keys: PublicKeySet
let otherSigner: SigningKey

beforeAll(async () => {
  const pair = await generateEd25519Jwk()
  signer = await importSigningKey(pair.privateJwk)
  keys = await importPublicKeys({ keys: [pair.publicJwk] })
  otherSigner = await importSigningKey((await generateEd25519Jwk()).privateJwk)
})

function sign(overrides: Partial<Parameters<typeof createProof>[0]> = {}): Promise<string> {
  return createProof({ key: signer, aud: PROXY_AUDIENCE, method: 'POST', target: TARGET, body: BODY, now: NOW, ...overrides })
}

function verify(token: string | undefined, overrides: Partial<Parameters<typeof verifyProof>[1]> = {}) {
  return verifyProof(token, {
    keys,
    aud: PROXY_AUDIENCE,
    method: 'POST',
    target: TARGET,
    body: BODY,
    now: NOW + 1000,
    replay: new MemoryReplayStore({ now: () => NOW }),
    ...overrides,
  })
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (error instanceof ProofError) {
      expect(error.status).toBe(401)
      return error.code
    }
    throw error
  }
  return 'ACCEPTED'
}

async function signRaw(header: object, claims: object, key = signer): Promise<string> {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader(header as { alg: string })
    .sign(key.key)
}

describe('proof', () => {
  it('accepts a fresh proof and returns its claims', async () => {
    const claims = await verify(await sign())
    expect(claims).toMatchObject({ aud: PROXY_AUDIENCE, htm: 'POST', htu: TARGET })
    expect(claims.exp - claims.iat).toBeLessThanOrEqual(60)
    expect(claims.jti.length).toBeGreaterThanOrEqual(16)
  })

  it('accepts bodies given as bytes and as text alike', async () => {
    const token = await sign({ body: new TextEncoder().encode(BODY) })
    await expect(verify(token)).resolves.toMatchObject({ htu: TARGET })
  })

  it('rejects a missing proof with PROOF_MISSING', async () => {
    expect(await codeOf(verify(undefined))).toBe('PROOF_MISSING')
    expect(await codeOf(verify(''))).toBe('PROOF_MISSING')
  })

  it('rejects garbage and wrong headers with PROOF_MALFORMED', async () => {
    expect(await codeOf(verify('abc'))).toBe('PROOF_MALFORMED')
    expect(await codeOf(verify('a.b.c'))).toBe('PROOF_MALFORMED')
    const claims = { aud: PROXY_AUDIENCE, iat: NOW / 1000, exp: NOW / 1000 + 30, jti: 'x'.repeat(22), htm: 'POST', htu: TARGET, bh: 'x' }
    expect(await codeOf(verify(await signRaw({ alg: 'EdDSA', kid: signer.kid, typ: 'JWT' }, claims)))).toBe('PROOF_MALFORMED')
    expect(await codeOf(verify(await signRaw({ alg: 'EdDSA', kid: signer.kid, typ: 'proof+jwt' }, { aud: PROXY_AUDIENCE })))).toBe(
      'PROOF_MALFORMED',
    )
  })

  it('rejects a key it does not know with PROOF_UNKNOWN_KEY', async () => {
    const token = await createProof({ key: otherSigner, aud: PROXY_AUDIENCE, method: 'POST', target: TARGET, body: BODY, now: NOW })
    expect(await codeOf(verify(token))).toBe('PROOF_UNKNOWN_KEY')
  })

  it('rejects a forged signature with PROOF_BAD_SIGNATURE', async () => {
    // Another key's signature under our kid.
    const forged = await createProof({ key: { kid: signer.kid, key: otherSigner.key }, aud: PROXY_AUDIENCE, method: 'POST', target: TARGET, body: BODY, now: NOW })
    expect(await codeOf(verify(forged))).toBe('PROOF_BAD_SIGNATURE')
    // Our signature over altered claims.
    const [header, payload, signature] = (await sign()).split('.')
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)))
    const altered = base64url.encode(JSON.stringify({ ...claims, htu: '/relay/api/other' }))
    expect(await codeOf(verify(`${header}.${altered}.${signature}`, { target: '/relay/api/other' }))).toBe('PROOF_BAD_SIGNATURE')
  })

  it('rejects a proof addressed elsewhere with PROOF_WRONG_AUDIENCE', async () => {
    expect(await codeOf(verify(await sign({ aud: 'licensedesk-worker' })))).toBe('PROOF_WRONG_AUDIENCE')
  })

  it('rejects an expired proof with PROOF_EXPIRED', async () => {
    expect(await codeOf(verify(await sign({ ttl: 30 }), { now: NOW + 31_000 }))).toBe('PROOF_EXPIRED')
  })

  it('rejects a proof from the future with PROOF_NOT_YET_VALID', async () => {
    expect(await codeOf(verify(await sign({ now: NOW + 10_000 }), { now: NOW }))).toBe('PROOF_NOT_YET_VALID')
  })

  it('rejects a lifetime over 60 s with PROOF_TOO_LONG_LIVED', async () => {
    const iat = NOW / 1000
    const claims = { aud: PROXY_AUDIENCE, iat, exp: iat + 3600, jti: 'j'.repeat(22), htm: 'POST', htu: TARGET, bh: 'x' }
    const token = await signRaw({ alg: 'EdDSA', kid: signer.kid, typ: 'proof+jwt' }, claims)
    expect(await codeOf(verify(token))).toBe('PROOF_TOO_LONG_LIVED')
    await expect(createProof({ key: signer, aud: 'a', method: 'GET', target: '/', ttl: 61 })).rejects.toThrow(RangeError)
  })

  it('rejects another method with PROOF_WRONG_METHOD', async () => {
    expect(await codeOf(verify(await sign(), { method: 'GET' }))).toBe('PROOF_WRONG_METHOD')
  })

  it('rejects another target with PROOF_WRONG_TARGET, query included', async () => {
    expect(await codeOf(verify(await sign(), { target: `${TARGET}?processInstanceId=1` }))).toBe('PROOF_WRONG_TARGET')
  })

  it('rejects a changed body with PROOF_BODY_MISMATCH', async () => {
    expect(await codeOf(verify(await sign(), { body: BODY.replace('张三', '李四') }))).toBe('PROOF_BODY_MISMATCH')
    expect(await codeOf(verify(await sign({ body: undefined }), { body: '' }))).toBe('ACCEPTED')
  })

  it('rejects a replayed proof with PROOF_REPLAYED', async () => {
    const replay = new MemoryReplayStore({ now: () => NOW })
    const token = await sign()
    await verify(token, { replay })
    expect(await codeOf(verify(token, { replay }))).toBe('PROOF_REPLAYED')
  })

  it('rejects a proof issued before the receiver started with PROOF_PREDATES_PROXY, without burning its jti', async () => {
    const replay = new MemoryReplayStore({ now: () => NOW })
    const token = await sign()
    expect(await codeOf(verify(token, { replay, notBefore: NOW + 1000 }))).toBe('PROOF_PREDATES_PROXY')
    // Same second as the start: accepted (second resolution, as iat).
    expect(await codeOf(verify(token, { replay, notBefore: NOW + 999 }))).toBe('ACCEPTED')
  })

  it('does not burn the jti of a proof that failed another check', async () => {
    const replay = new MemoryReplayStore({ now: () => NOW })
    const token = await sign()
    expect(await codeOf(verify(token, { replay, body: 'other' }))).toBe('PROOF_BODY_MISMATCH')
    expect(await codeOf(verify(token, { replay }))).toBe('ACCEPTED')
  })

  it('forgets jtis after they expire and refuses new ones when full', async () => {
    let now = NOW
    const replay = new MemoryReplayStore({ now: () => now, maxEntries: 2 })
    expect(await replay.remember('a', NOW / 1000 + 30)).toBe(true)
    expect(await replay.remember('b', NOW / 1000 + 30)).toBe(true)
    expect(await replay.remember('c', NOW / 1000 + 30)).toBe(false)
    now = NOW + 60_000
    expect(await replay.remember('c', NOW / 1000 + 90)).toBe(true)
    expect(replay.size).toBe(1)
  })

  it('refuses keys that are not Ed25519 or whose kid is not the thumbprint', async () => {
    const pair = await generateEd25519Jwk()
    await expect(importPublicKeys({ ...pair.publicJwk, kid: 'wrong' })).rejects.toThrow(/thumbprint/)
    await expect(importPublicKeys(pair.privateJwk)).rejects.toThrow(/private/)
    await expect(importSigningKey(pair.publicJwk)).rejects.toThrow(/private part/)
    await expect(importPublicKeys('{"kty":"RSA"}')).rejects.toThrow(/Ed25519/)
    await expect(importPublicKeys('not json')).rejects.toThrow(/JSON/)
  })

  it('lists every proof error code in docs/errors.md', () => {
    const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    for (const code of PROOF_ERROR_CODES) expect(doc).toContain(`\`${code}\``)
  })
})
