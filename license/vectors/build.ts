// Builds the published test vectors (docs/license-vectors.json) deterministically: fixed test-only
// keys derived from labels, fixed times, and Ed25519's deterministic signatures.
import { base64url, CompactSign, exportJWK, importPKCS8, type JSONWebKeySet, type JWK } from 'jose'
import {
  ARMOR_BEGIN,
  ARMOR_END,
  importLicenseSigningKey,
  issueLicense,
  publicJwkFromPrivate,
  type LicenseClaims,
  type LicenseTerms,
} from '../src/index.ts'

export type VectorCase = {
  name: string
  license: string
  jwks: string
  product: string
  featureCode: string
  now: number
  lastSeen?: number
  clockSkew: number
  expect: string
  claims?: LicenseClaims
}

export type LicenseVectors = {
  description: string
  warning: string
  keys: Record<string, { seedLabel: string; privateJwk: JWK; publicJwk: JWK }>
  jwks: Record<string, JSONWebKeySet>
  licenses: Record<string, string>
  cases: VectorCase[]
}

// DER of a PKCS #8 Ed25519 private key up to its 32-byte seed (RFC 8410 §7).
const PKCS8_ED25519_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]
const at = (iso: string) => Date.parse(iso) / 1000

export const IAT = at('2026-01-01T00:00:00Z')
const NBF = at('2026-02-01T00:00:00Z')
const EXP = at('2027-02-01T00:00:00Z')
const MID = at('2026-06-01T00:00:00Z')
const FC = '9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08'
const FC_AS_TYPED = '9f86-d081 884c-7d65 9a2f-eaa0 c55a-d015 a3bf-4f1b 2b0b-822c d15d-6c15 b0f0-0a08'

const TERMS: LicenseTerms = {
  iss: 'https://licenses.example.com',
  sub: 'lic_01JGXM3T8C2V4Q6W8Y0A2C4E6G',
  aud: 'acme-cad',
  nbf: NBF,
  exp: EXP,
  fc: FC,
  qty: 5,
  app: 'app_01JGXKZ9D4F6H8J0K2M4N6P8R0',
  cust: { name: '张伟', company: '上海示例软件有限公司', email: 'zhang.wei@example.cn' },
}

/** A test-only Ed25519 key whose seed (`d`) is SHA-256(label): reproducible, public on purpose. */
async function testKey(seedLabel: string) {
  const seed = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(seedLabel)))
  const der = String.fromCharCode(...PKCS8_ED25519_PREFIX, ...seed)
  const pem = `-----BEGIN PRIVATE KEY-----\n${btoa(der)}\n-----END PRIVATE KEY-----`
  const { kty, crv, x, d } = await exportJWK(await importPKCS8(pem, 'EdDSA', { extractable: true }))
  const publicJwk = await publicJwkFromPrivate({ kty, crv, x })
  return { seedLabel, privateJwk: { kty, crv, x, d, kid: publicJwk.kid, alg: 'EdDSA', use: 'sig' }, publicJwk }
}

function jwsOf(armored: string): string {
  return armored.slice(armored.indexOf(ARMOR_BEGIN) + ARMOR_BEGIN.length, armored.indexOf(ARMOR_END)).replace(/\s+/g, '')
}

async function signRaw(privateJwk: JWK, header: Record<string, unknown>, claims: unknown): Promise<string> {
  const { key } = await importLicenseSigningKey(privateJwk)
  const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'EdDSA', ...header })
    .sign(key)
  return `${ARMOR_BEGIN}\n${jws.match(/.{1,64}/g)!.join('\n')}\n${ARMOR_END}\n`
}

export async function buildVectors(): Promise<LicenseVectors> {
  const a = await testKey('licensedesk license test vector key A')
  const b = await testKey('licensedesk license test vector key B')
  const valid = await issueLicense(TERMS, await importLicenseSigningKey(a.privateJwk), { now: IAT * 1000 })
  const signedByB = await issueLicense({ ...TERMS, sub: 'lic_rotated' }, await importLicenseSigningKey(b.privateJwk), { now: IAT * 1000 })
  const [header, payload, signature] = jwsOf(valid).split('.')
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as LicenseClaims
  const tampered = base64url.encode(JSON.stringify({ ...claims, qty: 500 }))
  const crlf = `${header}.${payload}.${signature}`.match(/.{1,40}/g)!.map((line) => `    ${line}`)
  const licenses = {
    valid,
    rewrapped: `Dear customer,\r\n\r\nyour license:\r\n\r\n    ${ARMOR_BEGIN}\r\n${crlf.join('\r\n')}\r\n    ${ARMOR_END}\r\n\r\nRegards`,
    signedByB,
    tamperedClaims: `${ARMOR_BEGIN}\n${`${header}.${tampered}.${signature}`.match(/.{1,64}/g)!.join('\n')}\n${ARMOR_END}\n`,
    version2: await signRaw(a.privateJwk, { kid: a.publicJwk.kid, typ: 'license+jwt' }, { ...claims, v: 2 }),
    wrongTyp: await signRaw(a.privateJwk, { kid: a.publicJwk.kid, typ: 'JWT' }, claims),
    notALicense: 'Thank you for your order. Your license will follow in a separate mail.',
    truncated: valid.slice(0, 200),
  }
  const jwks = {
    onlyA: { keys: [a.publicJwk] },
    aAndB: { keys: [a.publicJwk, b.publicJwk] },
    onlyB: { keys: [b.publicJwk] },
  }
  const base = { license: 'valid', jwks: 'onlyA', product: 'acme-cad', featureCode: FC, now: MID, clockSkew: 300 }
  const cases: VectorCase[] = [
    { ...base, name: 'valid mid-period, feature code as issued', expect: 'VALID', claims },
    { ...base, name: 'feature code typed in lower case with dashes and spaces', featureCode: FC_AS_TYPED, expect: 'VALID', claims },
    { ...base, name: 'another machine', featureCode: FC.replace(/^9/, '8'), expect: 'WRONG_FEATURE_CODE' },
    { ...base, name: 'another product', product: 'acme-cam', expect: 'WRONG_PRODUCT' },
    { ...base, name: 'product ids compare exactly (case matters)', product: 'ACME-CAD', expect: 'WRONG_PRODUCT' },
    { ...base, name: 'one second before nbf, no skew', now: NBF - 1, clockSkew: 0, expect: 'NOT_YET_VALID' },
    { ...base, name: 'at nbf, no skew', now: NBF, clockSkew: 0, expect: 'VALID', claims },
    { ...base, name: 'skew seconds before nbf', now: NBF - 300, expect: 'VALID', claims },
    { ...base, name: 'one second before exp, no skew', now: EXP - 1, clockSkew: 0, expect: 'VALID', claims },
    { ...base, name: 'at exp, no skew', now: EXP, clockSkew: 0, expect: 'EXPIRED' },
    { ...base, name: 'within skew after exp', now: EXP + 299, expect: 'VALID', claims },
    { ...base, name: 'skew seconds after exp', now: EXP + 300, expect: 'EXPIRED' },
    { ...base, name: 'clock set before the license was issued', now: IAT - 301, expect: 'CLOCK_ROLLBACK' },
    { ...base, name: 'clock an hour before the last time seen', lastSeen: MID + 3600, expect: 'CLOCK_ROLLBACK' },
    { ...base, name: 'clock within skew of the last time seen', lastSeen: MID + 300, expect: 'VALID', claims },
    { ...base, name: 'checks run in order: wrong machine beats expired', featureCode: 'OTHER', now: EXP + 86400, expect: 'WRONG_FEATURE_CODE' },
    { ...base, name: 'rewrapped at 40 columns, CRLF, indented, inside an email', license: 'rewrapped', expect: 'VALID', claims },
    { ...base, name: 'signed by key B, only key A trusted', license: 'signedByB', expect: 'UNKNOWN_KEY' },
    { ...base, name: 'signed by key B during rotation (A and B trusted)', license: 'signedByB', jwks: 'aAndB', expect: 'VALID', claims: { ...claims, sub: 'lic_rotated' } },
    { ...base, name: 'signed by key A after A was dropped', jwks: 'onlyB', expect: 'UNKNOWN_KEY' },
    { ...base, name: 'claims altered after signing (qty 5 → 500)', license: 'tamperedClaims', expect: 'BAD_SIGNATURE' },
    { ...base, name: 'a future format version', license: 'version2', expect: 'UNSUPPORTED_VERSION' },
    { ...base, name: 'a JWT that is not a license (typ JWT)', license: 'wrongTyp', expect: 'BAD_ARMOR' },
    { ...base, name: 'text without a license', license: 'notALicense', expect: 'BAD_ARMOR' },
    { ...base, name: 'license cut short', license: 'truncated', expect: 'BAD_ARMOR' },
  ]
  return {
    description:
      'Test vectors for licensedesk license format v1 (docs/license-format.md). Verify licenses[case.license] ' +
      'with the public keys jwks[case.jwks], product, featureCode, now, lastSeen (seconds since the epoch) and ' +
      'clockSkew (seconds); expect "VALID" (and the claims) or the error code.',
    warning: 'TEST-ONLY KEYS: their private halves are published here. Never trust them in a product.',
    keys: { a, b },
    jwks,
    licenses,
    cases,
  }
}
