// Validation of a license application (POST /api/applications) under the deployment's config.
// The rules themselves live once in contract/application.ts, shared with the apply page.
import { checkApplication, type ApplicationResult, type ApplicationRules } from './contract/application.ts'
import type { Locale } from './config.ts'

export { FIELD_CODES, LIMITS, isEmail, type ApplicationInput, type FieldCode } from './contract/application.ts'

export type ValidationRules = ApplicationRules & { featureCodePattern: RegExp }
export type ValidationResult = ApplicationResult

export function validateApplication(body: Record<string, unknown>, rules: ValidationRules): ValidationResult {
  return checkApplication(body, rules)
}

/** zh-CN when the browser prefers Chinese, else en. */
export function localeFromAcceptLanguage(header: string | undefined): Locale {
  return header && /^\s*zh\b/i.test(header) ? 'zh-CN' : 'en'
}
