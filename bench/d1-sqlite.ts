// A D1Database over node:sqlite for benchmarks: the schema from worker/migrations, D1's
// prepare/bind/first/all/run/raw/batch, and the main thread's CPU time spent inside SQLite,
// which Cloudflare bills as I/O wait (D1 runs outside the isolate) and the bench subtracts.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite'

/** `db` is a D1Database to the worker (its types live under worker/tsconfig.json, not here). */
export type MeteredD1 = { db: unknown; sqliteMicros(): number; close(): void }

const cpuMicros = () => {
  const { user, system } = process.threadCpuUsage()
  return user + system
}

export function openD1(migrationsDir: string): MeteredD1 {
  const sqlite = new DatabaseSync(':memory:')
  for (const file of readdirSync(migrationsDir).filter((name) => name.endsWith('.sql')).sort()) {
    sqlite.exec(readFileSync(join(migrationsDir, file), 'utf8'))
  }
  let spent = 0
  const metered = <T>(run: () => T): T => {
    const started = cpuMicros()
    try {
      return run()
    } finally {
      spent += cpuMicros() - started
    }
  }
  const cache = new Map<string, StatementSync>()
  const compiled = (sql: string) => {
    let statement = cache.get(sql)
    if (!statement) cache.set(sql, (statement = sqlite.prepare(sql)))
    return statement
  }
  // D1 takes booleans and undefined is an error there; SQLite wants numbers.
  const bindable = (values: unknown[]): SQLInputValue[] =>
    values.map((value) => {
      if (value === undefined) throw new Error('D1_TYPE_ERROR: undefined cannot be bound')
      return typeof value === 'boolean' ? Number(value) : (value as SQLInputValue)
    })

  const meta = (changes = 0, lastRowId = 0) => ({ changes, last_row_id: lastRowId, duration: 0, rows_read: 0, rows_written: changes, changed_db: changes > 0, size_after: 0 })

  const statement = (sql: string, values: unknown[] = []) => {
    const all = () => {
      const rows = compiled(sql).all(...bindable(values)) as Record<string, unknown>[]
      return { results: rows, success: true as const, meta: meta() }
    }
    const run = () => {
      const stmt = compiled(sql)
      if (!stmt.columns().length) {
        const { changes, lastInsertRowid } = stmt.run(...bindable(values))
        return { results: [], success: true as const, meta: meta(Number(changes), Number(lastInsertRowid)) }
      }
      return all()
    }
    return {
      bind: (...next: unknown[]) => statement(sql, next),
      first: async (column?: string) => {
        const row = metered(() => compiled(sql).get(...bindable(values))) as Record<string, unknown> | undefined
        if (!row) return null
        return column === undefined ? row : row[column]
      },
      all: async () => metered(all),
      run: async () => metered(run),
      raw: async () => metered(() => all().results.map((row) => Object.values(row))),
      _run: run,
    }
  }

  const db = {
    prepare: (sql: string) => statement(sql),
    // One transaction, as D1's batch: all statements or none.
    batch: async (statements: ReturnType<typeof statement>[]) =>
      metered(() => {
        sqlite.exec('BEGIN')
        try {
          const results = statements.map((stmt) => stmt._run())
          sqlite.exec('COMMIT')
          return results
        } catch (err) {
          sqlite.exec('ROLLBACK')
          throw err
        }
      }),
    exec: async (sql: string) => metered(() => (sqlite.exec(sql), { count: 1, duration: 0 })),
  }
  return { db, sqliteMicros: () => spent, close: () => sqlite.close() }
}
