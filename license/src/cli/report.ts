// How the license CLI prints licenses and verdicts for people: aligned fields, ISO dates (UTC).
import type { LicenseClaims } from '../claims.ts'
import { isoSeconds } from '../time.ts'

export function describeClaims(claims: LicenseClaims, kid: string): string {
  const { cust } = claims
  const customer = [cust.name, cust.company].filter((part) => part !== '').join(', ')
  const rows: [string, string][] = [
    ['license', claims.sub],
    ['product', claims.aud],
    ['feature code', claims.fc],
    ['quantity', String(claims.qty)],
    ['customer', `${customer} <${cust.email}>`],
    ['valid', `${isoSeconds(claims.nbf)} to ${isoSeconds(claims.exp)} (exclusive)`],
    ['issued', `${isoSeconds(claims.iat)} by ${claims.iss}`],
    ['application', claims.app],
    ['key', kid],
    ['format', `v${claims.v}`],
  ]
  return rows.map(([label, value]) => `  ${label.padEnd(13)} ${value}\n`).join('')
}
