// Reading request bodies: the size limit and the JSON-object check shared by the POST routes.
import type { Context } from 'hono'
import { bodyLimit } from 'hono/body-limit'
import { InvalidJsonError, PayloadTooLargeError, UnsupportedMediaTypeError } from './errors.ts'

export const MAX_BODY_BYTES = 16 * 1024

/** 413 PAYLOAD_TOO_LARGE past 16 KB, whether announced by Content-Length or streamed. */
export const limitBody = () =>
  bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(MAX_BODY_BYTES)
    },
  })

export function requireJson(c: Context): void {
  const type = c.req.header('content-type') ?? ''
  if (!/^application\/json\s*(;|$)/i.test(type)) throw new UnsupportedMediaTypeError()
}

/** Parses `text` as a JSON object, or throws INVALID_JSON. */
export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new InvalidJsonError('the body is not valid JSON')
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new InvalidJsonError()
  return value as Record<string, unknown>
}
