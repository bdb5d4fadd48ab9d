// The feature code rule of license format v1 (docs/license-format.md, "Feature codes"). A license
// carries the code as the product reports it (ASCII whitespace removed); verifiers compare the
// normalised forms: ASCII whitespace and `-` dropped, ASCII letters upper-cased.

export const MAX_FEATURE_CODE_LENGTH = 256

const WHITESPACE = /[\t\n\v\f\r ]/g
const IGNORED = /[\t\n\v\f\r -]/g
const LOWER = /[a-z]+/g
const PRINTABLE = /^[\x21-\x7e]+$/

/** The code as reported, without the whitespace of wrapping and copying: what `fc` carries. */
export function compactFeatureCode(input: string): string {
  return input.replace(WHITESPACE, '')
}

/** The form two feature codes are compared in; idempotent. */
export function normalizeFeatureCode(input: string): string {
  return input.replace(IGNORED, '').replace(LOWER, (letters) => letters.toUpperCase())
}

/** True when `input`, compacted, is a feature code a license may carry. */
export function isValidFeatureCode(input: string): boolean {
  const compact = compactFeatureCode(input)
  return compact.length <= MAX_FEATURE_CODE_LENGTH && PRINTABLE.test(compact) && normalizeFeatureCode(compact) !== ''
}
