// Recognises DingTalk's "your access token is invalid" answers (dingtalk.md §1.3, §8), which make
// the relay drop its cached token and repeat the call once.

/** Legacy (oapi) errcodes meaning the token is wrong, expired or timed out. */
const LEGACY_TOKEN_CODES = new Set(['40001', '40014', '42001'])

/**
 * True for the new API's `{ code: "InvalidAuthentication" }` (HTTP 400/401) and the legacy
 * `errcode` 40001/40014/42001, or 88 with one of those `sub_code`s (HTTP 200!).
 */
export function isInvalidTokenAnswer(status: number, body: Uint8Array): boolean {
  if (body.length === 0 || body.length > 64 * 1024) return false
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(body).toString('utf8'))
  } catch {
    return false
  }
  if (!parsed || typeof parsed !== 'object') return false
  const value = parsed as { code?: unknown; errcode?: unknown; sub_code?: unknown }
  if ((status === 400 || status === 401) && value.code === 'InvalidAuthentication') return true
  if (value.errcode === undefined || value.errcode === null) return false
  const errcode = String(value.errcode)
  if (LEGACY_TOKEN_CODES.has(errcode)) return true
  return errcode === '88' && value.sub_code !== undefined && LEGACY_TOKEN_CODES.has(String(value.sub_code))
}
