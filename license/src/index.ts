// The license toolkit's public API: issue (worker), verify (products), keys and JWKS (both sides),
// revocation lists (signed by the worker, checked by products).
// The format it reads and writes is stable and versioned: docs/license-format.md.
export { ARMOR_BEGIN, ARMOR_END } from './armor.ts'
export {
  LICENSE_FORMAT_VERSION,
  LICENSE_TYP,
  type LicenseClaims,
  type LicenseCustomer,
  type LicenseTerms,
} from './claims.ts'
export {
  LICENSE_ERROR_CODES,
  LicenseError,
  LicenseTermsError,
  type LicenseErrorCode,
  type TermsFieldProblem,
} from './errors.ts'
export {
  isValidFeatureCode,
  MAX_FEATURE_CODE_LENGTH,
  compactFeatureCode,
  normalizeFeatureCode,
} from './feature-code.ts'
export { inspectLicense, type InspectedLicense } from './inspect.ts'
export { issueLicense, type IssueLicenseOptions } from './issue.ts'
export type { JwkInput } from './jwk.ts'
export { buildJwks } from './jwks.ts'
export {
  generateLicenseKeyPair,
  importLicensePublicKeys,
  importLicenseSigningKey,
  publicJwkFromPrivate,
  type LicenseKeyPair,
  type LicensePublicKeys,
  type LicenseSigningKey,
} from './keys.ts'
export {
  MAX_REVOCATION_LIST_LENGTH,
  REVOCATIONS_TYP,
  signRevocationList,
  verifyRevocationList,
  type RevocationListClaims,
  type RevocationListInput,
  type RevokedEntry,
  type SignRevocationListOptions,
  type VerifiedRevocationList,
  type VerifyRevocationListOptions,
} from './revocations.ts'
export type { Instant } from './time.ts'
export {
  createLicenseVerifier,
  DEFAULT_CLOCK_SKEW,
  verifyLicense,
  type LicenseCheckOptions,
  type LicenseKeysInput,
  type LicenseVerifier,
  type VerifyLicenseOptions,
} from './verify.ts'
