// The field names both deployables treat as secret in logs (the worker's logger and the proxy's pino
// redaction): whatever a log object carries under one of these names is censored, at any depth.
export const SECRET_FIELD_NAMES = [
  'authorization',
  'cookie',
  'proof',
  'appSecret',
  'accessToken',
  'access_token',
  'x-acs-dingtalk-access-token',
  'token',
  'statusToken',
  'aesKey',
  'encrypt',
  'privateJwk',
  'secret',
  'apiKey',
  'robotUrl',
  'webhook',
  'resendApiKey',
  'password',
  'device_code',
  'deviceCode',
  'd',
] as const

export const REDACTED = '[Redacted]'
