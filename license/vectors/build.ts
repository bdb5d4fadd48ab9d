// Builds the published test vectors (docs/license-vectors.json) deterministically: test-only keys
// derived from labels, fixed times, and Ed25519's deterministic signatures.
import { base64url, CompactSign, exportJWK, importPKCS8 } from 'jose'
import type { JSONWebKeySet, JWK } from 'jose'
import { ARMOR_BEGIN, ARMOR_END, importLicenseSigningKey, issueLicense } from '../src/index.ts'
import { signRevocationList } from '../src/index.ts'
import { publicJwkFromPrivate, type LicenseClaims, type LicenseTerms } from '../src/index.ts'

export type VectorCase = {
  name: string
  license: string
  jwks: string
  product: string
  featureCode: string
  now: number
  lastSeen?: number
  clockSkew: number
  /** The revocation list to verify first (same keys, now and skew), then check the license by. */
  revocations?: string
  /** Seconds: the list's maxAge. */
  revocationsMaxAge?: number
  expect: string
  claims?: LicenseClaims
}

export type TestKey = { seedLabel: string; privateJwk: JWK; publicJwk: JWK }

export type LicenseVectors = {
  description: string
  warning: string
  keys: Record<string, TestKey>
  jwks: Record<string, JSONWebKeySet>
  licenses: Record<string, string>
  revocationLists: Record<string, string>
  cases: VectorCase[]
}

// DER of a PKCS #8 Ed25519 private key up to its 32-byte seed (RFC 8410 §7).
const PKCS8_PREFIX = [48, 46, 2, 1, 0, 48, 5, 6, 3, 43, 101, 112, 4, 34, 4, 32]
const at = (iso: string) => Date.parse(iso) / 1000

const IAT = at('2026-01-01T00:00:00Z')
const NBF = at('2026-02-01T00:00:00Z')
const EXP = at('2027-02-01T00:00:00Z')
const MID = at('2026-06-01T00:00:00Z')
const LIST_IAT = at('2026-05-01T00:00:00Z')
const RAT = at('2026-04-30T08:00:00Z')
const FC = '9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08'
const FC_TYPED = '9f86-d081 884c-7d65 9a2f-eaa0 c55a-d015 a3bf-4f1b 2b0b-822c d15d-6c15 b0f0-0a08'

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
async function testKey(seedLabel: string): Promise<TestKey> {
  const label = new TextEncoder().encode(seedLabel)
  const seed = new Uint8Array(await crypto.subtle.digest('SHA-256', label))
  const der = base64(PKCS8_PREFIX, seed)
  const pem = `-----BEGIN PRIVATE KEY-----\n${der}\n-----END PRIVATE KEY-----`
  const { kty, crv, x, d } = await exportJWK(await importPKCS8(pem, 'EdDSA', { extractable: true }))
  const publicJwk = await publicJwkFromPrivate({ kty, crv, x })
  const privateJwk = { kty, crv, x, d, kid: publicJwk.kid, alg: 'EdDSA', use: 'sig' }
  return { seedLabel, privateJwk, publicJwk }
}

function base64(...parts: ArrayLike<number>[]): string {
  return btoa(String.fromCharCode(...parts.flatMap((part) => Array.from(part))))
}

function armor(jws: string, width = 64, eol = '\n', indent = ''): string {
  const lines = jws.match(new RegExp(`.{1,${width}}`, 'g'))!.map((line) => indent + line)
  return [indent + ARMOR_BEGIN, ...lines, indent + ARMOR_END].join(eol) + eol
}

function jwsOf(armored: string): string {
  const start = armored.indexOf(ARMOR_BEGIN) + ARMOR_BEGIN.length
  return armored.slice(start, armored.indexOf(ARMOR_END)).replace(/\s+/g, '')
}

/** Signs arbitrary header and claims: for licenses the issuer would refuse to write. */
async function signRaw(key: TestKey, header: object, claims: unknown): Promise<string> {
  const { key: privateKey } = await importLicenseSigningKey(key.privateJwk)
  const payload = new TextEncoder().encode(JSON.stringify(claims))
  const jws = await new CompactSign(payload)
    .setProtectedHeader({ alg: 'EdDSA', kid: key.publicJwk.kid, ...header })
    .sign(privateKey)
  return armor(jws)
}

async function buildLicenses(a: TestKey, b: TestKey) {
  const now = IAT * 1000
  const valid = await issueLicense(TERMS, await importLicenseSigningKey(a.privateJwk), { now })
  const keyB = await importLicenseSigningKey(b.privateJwk)
  const signedByB = await issueLicense({ ...TERMS, sub: 'lic_rotated' }, keyB, { now })
  const [header, payload, signature] = jwsOf(valid).split('.')
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload))) as LicenseClaims
  const tampered = base64url.encode(JSON.stringify({ ...claims, qty: 500 }))
  const email = armor(jwsOf(valid), 40, '\r\n', '    ')
  const licenses = {
    valid,
    rewrapped: `Dear customer,\r\n\r\nyour license:\r\n\r\n${email}\r\nRegards`,
    signedByB,
    tamperedClaims: armor(`${header}.${tampered}.${signature}`),
    version2: await signRaw(a, { typ: 'license+jwt' }, { ...claims, v: 2 }),
    wrongTyp: await signRaw(a, { typ: 'JWT' }, claims),
    notALicense: 'Thank you for your order. Your license will follow in a separate mail.',
    truncated: valid.slice(0, 200),
  }
  return { licenses, claims }
}

async function buildRevocationLists(a: TestKey, b: TestKey, valid: string) {
  const input = {
    iss: TERMS.iss,
    revoked: [
      { sub: TERMS.sub, revokedAt: RAT * 1000 },
      { sub: 'lic_01JGY2B7N5Q8R1S4T6V9W3X5Z7', revokedAt: (RAT - 86_400) * 1000 },
    ],
  }
  const now = LIST_IAT * 1000
  const keyA = await importLicenseSigningKey(a.privateJwk)
  const keyB = await importLicenseSigningKey(b.privateJwk)
  const revokesValid = await signRevocationList(input, keyA, { now })
  const [header, payload, signature] = revokesValid.split('.')
  const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload)))
  const emptied = base64url.encode(JSON.stringify({ ...claims, revoked: [] }))
  return {
    revokesValid,
    signedByB: await signRevocationList(input, keyB, { now }),
    tampered: `${header}.${emptied}.${signature}`,
    licenseAsList: jwsOf(valid),
  }
}

function buildCases(claims: LicenseClaims): VectorCase[] {
  const base = { license: 'valid', jwks: 'onlyA', product: 'acme-cad', featureCode: FC, now: MID }
  const cases: [name: string, expect: string, change: Partial<VectorCase>][] = [
    ['valid mid-period, feature code as issued', 'VALID', {}],
    ['feature code typed in lower case, dashes, spaces', 'VALID', { featureCode: FC_TYPED }],
    ['another machine', 'WRONG_FEATURE_CODE', { featureCode: `8${FC.slice(1)}` }],
    ['another product', 'WRONG_PRODUCT', { product: 'acme-cam' }],
    ['product ids compare exactly', 'WRONG_PRODUCT', { product: 'ACME-CAD' }],
    ['a second before nbf', 'NOT_YET_VALID', { now: NBF - 1, clockSkew: 0 }],
    ['at nbf', 'VALID', { now: NBF, clockSkew: 0 }],
    ['clock skew before nbf', 'VALID', { now: NBF - 300 }],
    ['a second before exp', 'VALID', { now: EXP - 1, clockSkew: 0 }],
    ['at exp', 'EXPIRED', { now: EXP, clockSkew: 0 }],
    ['within the clock skew after exp', 'VALID', { now: EXP + 299 }],
    ['clock skew after exp', 'EXPIRED', { now: EXP + 300 }],
    ['clock set before the issue time', 'CLOCK_ROLLBACK', { now: IAT - 301 }],
    ['clock an hour before last seen', 'CLOCK_ROLLBACK', { lastSeen: MID + 3600 }],
    ['clock within the skew of last seen', 'VALID', { lastSeen: MID + 300 }],
    ['machine checked before time', 'WRONG_FEATURE_CODE', { featureCode: 'X', now: EXP + 3600 }],
    ['rewrapped: 40 columns, CRLF, indented, in a mail', 'VALID', { license: 'rewrapped' }],
    ['signed by key B, only A trusted', 'UNKNOWN_KEY', { license: 'signedByB' }],
    [
      'signed by key B during rotation (A and B trusted)',
      'VALID',
      { license: 'signedByB', jwks: 'aAndB', claims: { ...claims, sub: 'lic_rotated' } },
    ],
    ['signed by key A after A was dropped', 'UNKNOWN_KEY', { jwks: 'onlyB' }],
    ['claims altered after signing (qty 5 → 500)', 'BAD_SIGNATURE', { license: 'tamperedClaims' }],
    ['a future format version', 'UNSUPPORTED_VERSION', { license: 'version2' }],
    ['a JWT that is not a license (typ JWT)', 'BAD_ARMOR', { license: 'wrongTyp' }],
    ['text without a license', 'BAD_ARMOR', { license: 'notALicense' }],
    ['license cut short', 'BAD_ARMOR', { license: 'truncated' }],
    ['license in the revocation list', 'REVOKED', { revocations: 'revokesValid' }],
    [
      'revoked, checked before product and time',
      'REVOKED',
      { revocations: 'revokesValid', product: 'acme-cam', now: EXP + 3600 },
    ],
    [
      'another license, not in the revocation list',
      'VALID',
      {
        license: 'signedByB',
        jwks: 'aAndB',
        revocations: 'revokesValid',
        claims: { ...claims, sub: 'lic_rotated' },
      },
    ],
    [
      'revocation list within its maxAge (40 days)',
      'REVOKED',
      { revocations: 'revokesValid', revocationsMaxAge: 40 * 86_400 },
    ],
    [
      'revocation list older than its maxAge (7 days)',
      'STALE_REVOCATION_LIST',
      { revocations: 'revokesValid', revocationsMaxAge: 7 * 86_400 },
    ],
    [
      'revocation list issued in the future',
      'BAD_REVOCATION_LIST',
      { revocations: 'revokesValid', now: LIST_IAT - 301 },
    ],
    [
      'revocation list signed by key B, only A trusted',
      'BAD_REVOCATION_LIST',
      { revocations: 'signedByB' },
    ],
    ['revocation list altered (emptied)', 'BAD_REVOCATION_LIST', { revocations: 'tampered' }],
    [
      'a license given as the revocation list',
      'BAD_REVOCATION_LIST',
      { revocations: 'licenseAsList' },
    ],
  ]
  return cases.map(([name, expect, { claims: own, ...change }]) => ({
    name,
    ...base,
    clockSkew: 300,
    ...change,
    expect,
    ...(expect === 'VALID' ? { claims: own ?? claims } : {}),
  }))
}

export async function buildVectors(): Promise<LicenseVectors> {
  const a = await testKey('licensedesk license test vector key A')
  const b = await testKey('licensedesk license test vector key B')
  const { licenses, claims } = await buildLicenses(a, b)
  const revocationLists = await buildRevocationLists(a, b, licenses.valid)
  return {
    description:
      'Test vectors for licensedesk license format v1 (docs/license-format.md). For each ' +
      'case, verify licenses[case.license] with the public keys jwks[case.jwks], ' +
      'case.product, case.featureCode, case.now and case.lastSeen (seconds since the ' +
      'epoch) and case.clockSkew (seconds); expect "VALID" with case.claims, or the code. ' +
      'When case.revocations is present, first verify revocationLists[case.revocations] with ' +
      'the same keys, now and skew (and case.revocationsMaxAge) and check the license against it.',
    warning: 'TEST-ONLY KEYS: their private halves are published. Never trust them in a product.',
    keys: { a, b },
    jwks: {
      onlyA: { keys: [a.publicJwk] },
      aAndB: { keys: [a.publicJwk, b.publicJwk] },
      onlyB: { keys: [b.publicJwk] },
    },
    licenses,
    revocationLists,
    cases: buildCases(claims),
  }
}
