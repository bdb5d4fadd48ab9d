// The approval form's 续期 component (docs/renewal.md): which license the application renews, its
// terms, its issue history, and when the new license starts, in the approvers' words and zone.
import { listLicenses } from '../db/licenses.ts'
import { formatZoned } from '../time-zone.ts'
import { renewalStart } from './check.ts'

/** Approvers read Beijing time (the DingTalk organisation is in China). */
const APPROVER_ZONE = 'Asia/Shanghai'
const at = (seconds: number) => formatZoned(seconds * 1000, 'zh-CN', APPROVER_ZONE)

/**
 * "许可证 LIC-…（原申请 LD-…；数量 5；期限 … 至 …；签发历史：…）。批准后新许可证自 … 起生效。"
 * Null when the license is not found (the form then carries no renewal component).
 */
export async function renewalFormText(db: D1Database, licenseId: string, now: number): Promise<string | null> {
  const row = await db.prepare('SELECT application_id FROM licenses WHERE id = ?1').bind(licenseId).first<{ application_id: string }>()
  if (!row) return null
  const history = await listLicenses(db, row.application_id)
  const license = history.find((l) => l.id === licenseId)
  if (!license) return null
  const issues = history.map((l) => {
    const notes = [l.supersedes ? `更正 ${l.supersedes}` : null, l.revokedAt !== null ? '已吊销' : null].filter(Boolean)
    return `${at(Math.floor(l.issuedAt / 1000))} 签发 ${l.id}${notes.length ? `（${notes.join('，')}）` : ''}`
  })
  const start = renewalStart(license.exp, Math.floor(now / 1000))
  return (
    `许可证 ${license.id}（原申请 ${license.applicationId}；数量 ${license.quantity}；` +
    `期限 ${at(license.nbf)} 至 ${at(license.exp)}；签发历史：${issues.join('；')}）。` +
    `批准后新许可证自 ${at(start)} 起生效，接续原许可证。`
  )
}
