// The QR check value `c` (docs/integration.md): the first 6 lowercase hex digits of SHA-256 over
// the normalised feature code (license format's normalisation: whitespace and `-` dropped, ASCII
// letters upper-cased), in UTF-8. Stable format: product teams compute it in their own code.
import { normalizeFeatureCode } from '../../../license/src/feature-code.ts'

export const CHECK_LENGTH = 6
const CHECK = /^[0-9a-f]{6}$/i

/** The check value of a feature code; `crypto.subtle` as in browsers, workerd and Node. */
export async function featureCodeCheck(featureCode: string, subtle: SubtleCrypto = crypto.subtle): Promise<string> {
  const digest = await subtle.digest('SHA-256', new TextEncoder().encode(normalizeFeatureCode(featureCode)))
  return [...new Uint8Array(digest).slice(0, CHECK_LENGTH / 2)].map((b) => b.toString(16).padStart(2, '0')).join('')
}

/** True when `check` (any letter case) is the check value of `featureCode`. */
export async function verifyFeatureCodeCheck(featureCode: string, check: string, subtle?: SubtleCrypto): Promise<boolean> {
  if (!CHECK.test(check.trim())) return false
  return (await featureCodeCheck(featureCode, subtle)) === check.trim().toLowerCase()
}
