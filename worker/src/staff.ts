// Who may use the operator console: ADMIN_OPERATORS and ADMIN_VIEWERS, comma-separated email
// addresses or `*@domain` patterns, matched case-insensitively against the Access identity's email.
// Access app tokens carry no groups (docs/console.md, "Roles"), so roles are by email only.

export type Role = 'operator' | 'viewer'

/** The verified person behind a console request (`c.var.staff`). */
export type Staff = Readonly<{ email: string; role: Role }>

/** An exact address, or every address of one domain. */
export type StaffPattern = Readonly<{ kind: 'email'; email: string } | { kind: 'domain'; domain: string }>

const ADDRESS = /^[^\s@<>",;*]+@[^\s@<>",;*]+\.[^\s@<>",;*]+$/
const DOMAIN = /^\*@([^\s@<>",;*]+\.[^\s@<>",;*]+)$/

/** Parses one list; null when an entry is neither an address nor `*@domain` (the caller names the variable). */
export function parseStaffList(text: string | undefined): StaffPattern[] | null {
  const patterns: StaffPattern[] = []
  for (const entry of (text ?? '').split(',').map((part) => part.trim().toLowerCase()).filter((part) => part !== '')) {
    const domain = DOMAIN.exec(entry)
    if (domain) patterns.push(Object.freeze({ kind: 'domain', domain: domain[1] }))
    else if (ADDRESS.test(entry)) patterns.push(Object.freeze({ kind: 'email', email: entry }))
    else return null
  }
  return patterns
}

function matches(patterns: readonly StaffPattern[], email: string): boolean {
  const address = email.toLowerCase()
  const at = address.lastIndexOf('@')
  return patterns.some((pattern) => (pattern.kind === 'email' ? pattern.email === address : at > 0 && address.slice(at + 1) === pattern.domain))
}

/** Operator wins over viewer when both lists name the person; null when neither does. */
export function roleOf(email: string, lists: Readonly<{ operators: readonly StaffPattern[]; viewers: readonly StaffPattern[] }>): Role | null {
  if (matches(lists.operators, email)) return 'operator'
  if (matches(lists.viewers, email)) return 'viewer'
  return null
}
