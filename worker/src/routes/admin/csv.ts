// CSV for the console's exports: RFC 4180 (CRLF lines, fields quoted when they hold `"`, `,`, CR
// or LF, quotes doubled), and spreadsheet formula injection defused (OWASP "CSV Injection"): a
// cell starting with `=`, `+`, `-`, `@`, tab or CR is prefixed with `'` so it stays text.

const FORMULA_START = /^[=+\-@\t\r]/

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return ''
  // Numbers are ours (quantities, times) and safe as they are; a negative one is still a number.
  let text = String(value)
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function toCsv(header: readonly string[], rows: readonly (readonly (string | number | null | undefined)[])[]): string {
  return [header, ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n'
}
