// Resend's error bodies `{ statusCode, name, message }` (platform.md; resend.com/docs/api-reference/errors).
// `name` values are the SDK's RESEND_ERROR_CODE_KEY union, so the SDK hands them through unchanged.

export type MailError = { statusCode: number; name: string; message: string }

function error(statusCode: number, name: string, message: string): MailError {
  return { statusCode, name, message }
}

export const mailErrors = {
  missingApiKey: () =>
    error(401, 'missing_api_key', 'Missing API key in the authorization header. Include the following header: Authorization: Bearer YOUR_API_KEY in the request.'),
  invalidApiKey: () => error(403, 'invalid_api_key', 'API key is invalid'),
  rateLimited: (limit: number) =>
    error(
      429,
      'rate_limit_exceeded',
      `Too many requests. You can only make ${limit} requests per second. See rate limit response headers for more information. Or contact support to increase rate limit.`,
    ),
  invalidIdempotencyKey: () => error(400, 'invalid_idempotency_key', 'The key must be between 1-256 chars.'),
  idempotencyMismatch: () => error(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.'),
  idempotencyConcurrent: () => error(409, 'concurrent_idempotent_requests', 'Same idempotency key used while original request is still in progress.'),
  application: () => error(500, 'application_error', 'Internal server error. We are unable to process your request right now, please try again later.'),
  notFound: (message = 'The requested endpoint does not exist.') => error(404, 'not_found', message),
  methodNotAllowed: () => error(405, 'method_not_allowed', 'Method is not allowed for the requested path.'),
  tooLarge: () => error(413, 'validation_error', 'The request body is too large.'),
  validation: (message: string) => error(422, 'validation_error', message),
  missingField: (field: string) => error(422, 'missing_required_field', `Missing \`${field}\` field.`),
  invalidAttachment: (message: string) => error(422, 'invalid_attachment', message),
}
