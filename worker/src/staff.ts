// Who may use the operator console: ADMIN_OPERATORS and ADMIN_VIEWERS, comma-separated email
// addresses or `*@domain` patterns, matched case-insensitively against the Access identity's email;
// ADMIN_OPERATOR_GROUPS and ADMIN_VIEWER_GROUPS, Access group names or ids (docs/console.md, "Roles").

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

/** Longer than any group name an IdP hands Access; a longer entry is a pasted mistake. */
export const MAX_GROUP_LENGTH = 256

// No control characters, no quotes or angle brackets (a pasted JSON or HTML fragment), no `*`
// (there are no group patterns; a `*` would look like one and match nothing).
const GROUP = /^[^\u0000-\u001f\u007f"<>*]+$/

/** Parses a group list: names or ids, trimmed, as written; null on a bad entry (the caller names the variable). */
export function parseGroupList(text: string | undefined): string[] | null {
  const groups: string[] = []
  for (const entry of (text ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '')) {
    if (entry.length > MAX_GROUP_LENGTH || !GROUP.test(entry)) return null
    groups.push(entry)
  }
  return groups
}

/** A group as Access's get-identity lists it; either member may be missing. */
export type AccessGroup = Readonly<{ id: string | null; name: string | null }>

/** By id exactly (ids are opaque), or by name case-insensitively (IdPs differ in the case they send). */
function inGroups(configured: readonly string[], groups: readonly AccessGroup[]): boolean {
  return configured.some((entry) => {
    const lower = entry.toLowerCase()
    return groups.some((group) => group.id === entry || group.name?.toLowerCase() === lower)
  })
}

/** Operator wins over viewer; null when no configured group holds the person. */
export function groupRoleOf(groups: readonly AccessGroup[], lists: Readonly<{ operatorGroups: readonly string[]; viewerGroups: readonly string[] }>): Role | null {
  if (inGroups(lists.operatorGroups, groups)) return 'operator'
  if (inGroups(lists.viewerGroups, groups)) return 'viewer'
  return null
}
