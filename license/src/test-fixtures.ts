// Fixtures for the license tests: a fresh key pair per test file, typical terms, fixed times.
import type { JWK } from 'jose'
import type { LicenseTerms } from './claims.ts'
import { buildJwks } from './jwks.ts'
import { generateLicenseKeyPair, importLicenseSigningKey } from './keys.ts'

export const at = (iso: string): number => Date.parse(iso) / 1000
export const ISSUED = at('2026-01-01T00:00:00Z')
export const NBF = at('2026-01-01T00:00:00Z')
export const EXP = at('2027-01-01T00:00:00Z')
export const MID_MS = Date.parse('2026-06-01T00:00:00Z')
export const FEATURE_CODE = '9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08'

export const TERMS: LicenseTerms = {
  iss: 'https://licenses.example.com',
  sub: 'lic_test_0001',
  aud: 'acme-cad',
  nbf: NBF,
  exp: EXP,
  fc: FEATURE_CODE,
  qty: 5,
  app: 'app_test_0001',
  cust: { name: '张伟', company: '上海示例软件有限公司', email: 'zhang.wei@example.cn' },
}

export async function keyFixture() {
  const pair = await generateLicenseKeyPair()
  const signingKey = await importLicenseSigningKey(pair.privateJwk)
  const jwks = await buildJwks([pair.publicJwk])
  return { ...pair, signingKey, jwks, kid: signingKey.kid, publicJwk: pair.publicJwk as JWK }
}

export const CHECKS = { product: TERMS.aud, featureCode: FEATURE_CODE, now: MID_MS, clockSkew: 0 }
