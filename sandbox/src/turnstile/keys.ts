// Turnstile's documented testing keys and how each behaves, plus the sandbox's own key pair, which
// behaves like a production widget: single-use tokens valid 300 s, bound to hostname and action.

/** Sitekeys: what the widget does for each. */
export const TEST_SITEKEYS = {
  '1x00000000000000000000AA': { passes: true, interactive: false, visible: true },
  '2x00000000000000000000AB': { passes: false, interactive: false, visible: true },
  '1x00000000000000000000BB': { passes: true, interactive: false, visible: false },
  '2x00000000000000000000BB': { passes: false, interactive: false, visible: false },
  '3x00000000000000000000FF': { passes: true, interactive: true, visible: true },
} as const satisfies Record<string, { passes: boolean; interactive: boolean; visible: boolean }>

/** Secret keys: what siteverify answers for each, whatever the token. */
export const TEST_SECRETS = {
  '1x0000000000000000000000000000000AA': { success: true },
  '2x0000000000000000000000000000000AA': { success: false, code: 'invalid-input-response' },
  '3x0000000000000000000000000000000AA': { success: false, code: 'timeout-or-duplicate' },
} as const satisfies Record<string, { success: boolean; code?: string }>

/** The token every testing sitekey hands out. */
export const DUMMY_TOKEN = 'XXXX.DUMMY.TOKEN.XXXX'

/** The sandbox's own pair (a managed widget): local stand-ins, never real keys. */
export const SANDBOX_SITEKEY = '0x4AAAAAAASandboxLicensedesk'
export const SANDBOX_SECRET = '0x4AAAAAAASandboxLicensedeskSecretKey00'

export const TOKEN_TTL_MS = 300_000
export const MAX_TOKEN_LENGTH = 2048
