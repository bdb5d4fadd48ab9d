// The middleware that reads and validates a POST /api/applications body, in the order the API
// documents its refusals: 415, 400 INVALID_IDEMPOTENCY_KEY, INVALID_ENCODING, INVALID_JSON, then
// VALIDATION_FAILED through @hono/standard-validator with the shared schema (contract/application.ts).
import { sValidator } from '@hono/standard-validator'
import type { MiddlewareHandler } from 'hono'
import { readJsonObject, requireJson } from '../body.ts'
import { applicationSchema, fieldCodesOf, type ApplicationBody, type ApplicationInput } from '../contract/application.ts'
import type { AppEnv } from '../env.ts'
import { RateLimitedError, ValidationError } from '../errors.ts'
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from '../idempotency.ts'
import { localeFromAcceptLanguage } from '../validation.ts'

/** What `c.req.valid('json')` holds after validApplication(), and what a client may send. */
export type ApplicationValidation = { in: { json: ApplicationBody }; out: { json: ApplicationInput } }

/** The submit rate limit, per client address: checked before the body is read. */
export const limitSubmitRate = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const limiter = c.env.SUBMIT_RATE_LIMITER
  if (limiter) {
    const { success } = await limiter.limit({ key: c.req.header('cf-connecting-ip') ?? 'unknown' })
    if (!success) throw new RateLimitedError()
  }
  await next()
}

/** A JSON object body in UTF-8 with a well-formed Idempotency-Key, validated under the config's rules. */
export const validApplication = (): MiddlewareHandler<AppEnv, string, ApplicationValidation> => async (c, next) => {
  requireJson(c)
  parseIdempotencyKey(c.req.header(IDEMPOTENCY_KEY_HEADER))
  // Read here so that INVALID_ENCODING and INVALID_JSON keep their codes; the validator reads the cached body.
  await readJsonObject(c)
  const { config } = c.var
  const schema = applicationSchema({
    products: config.products,
    defaultProduct: config.defaultProduct,
    validityDays: config.validityDays,
    quantity: config.quantity,
    featureCodePattern: config.featureCodePattern,
    defaultLocale: localeFromAcceptLanguage(c.req.header('accept-language')),
  })
  const validate = sValidator('json', schema, (result) => {
    if (!result.success) throw new ValidationError(fieldCodesOf(result.error))
  })
  // The validator is built per request (the rules are config); its context type is the generic one.
  return validate(c as never, next)
}
