// The feature code rule of license format v1 (docs/license-format.md, "Feature codes"): drop
// ASCII whitespace and `-`, upper-case ASCII letters; then 1–256 printable ASCII characters.

export const MAX_FEATURE_CODE_LENGTH = 256

const IGNORED = /[\t\n\v\f\r -]/g
const LOWER = /[a-z]+/g
const CANONICAL = /^[\x21-\x7e]+$/

/** The canonical form of a feature code as typed or reported; idempotent. */
export function normalizeFeatureCode(input: string): string {
  return input.replace(IGNORED, '').replace(LOWER, (letters) => letters.toUpperCase())
}

/** True when `input` normalises to a feature code a license may carry. */
export function isValidFeatureCode(input: string): boolean {
  const canonical = normalizeFeatureCode(input)
  return canonical.length <= MAX_FEATURE_CODE_LENGTH && CANONICAL.test(canonical)
}
