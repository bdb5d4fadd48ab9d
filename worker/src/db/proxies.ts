// Data access for `proxies` (worker/migrations/0008): the egress proxies' heartbeats, one row per
// proxy id, upserted by POST /internal/proxy-check.

export type ProxyHeartbeat = {
  proxyId: string
  egressAddress: string | null
  events: 'stream' | 'http'
  ready: boolean
}

export type ProxyRecord = ProxyHeartbeat & { lastSeenAt: number; startedAt: number }

type ProxyRow = { id: string; egress_address: string | null; events: string; ready: number; last_seen_at: number; started_at: number }

export function toProxyRecord(row: ProxyRow): ProxyRecord {
  return {
    proxyId: row.id,
    egressAddress: row.egress_address,
    events: row.events as ProxyRecord['events'],
    ready: row.ready === 1,
    lastSeenAt: row.last_seen_at,
    startedAt: row.started_at,
  }
}

/** Records a heartbeat at `now`; the first one of a proxy id sets `started_at`. */
export async function recordProxyHeartbeat(db: D1Database, beat: ProxyHeartbeat, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO proxies (id, egress_address, events, ready, last_seen_at, started_at, last_ready_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5, CASE WHEN ?4 = 1 THEN ?5 END)
       ON CONFLICT (id) DO UPDATE SET egress_address = ?2, events = ?3, ready = ?4, last_seen_at = ?5,
         last_ready_at = CASE WHEN ?4 = 1 THEN ?5 ELSE last_ready_at END`,
    )
    .bind(beat.proxyId, beat.egressAddress, beat.events, beat.ready ? 1 : 0, now)
    .run()
}

/** Proxies that reported ready since `since` (ms), most recent first. */
export async function readyProxies(db: D1Database, since: number): Promise<ProxyRecord[]> {
  const { results } = await db
    .prepare('SELECT * FROM proxies WHERE ready = 1 AND last_seen_at >= ?1 ORDER BY last_seen_at DESC')
    .bind(since)
    .all<ProxyRow>()
  return results.map(toProxyRecord)
}

/** When any proxy last reported itself ready (ms), or null if none ever did. */
export async function lastReadyAt(db: D1Database): Promise<number | null> {
  const row = await db.prepare('SELECT MAX(last_ready_at) AS at FROM proxies').first<{ at: number | null }>()
  return row?.at ?? null
}
