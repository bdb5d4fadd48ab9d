// Optional snapshot of emails and instances in SANDBOX_STATE_FILE, so a restarted sandbox keeps
// its inbox and console. Written atomically (temp file + rename), debounced.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import type { Instance } from './instance.ts'
import type { SandboxState, StoredEmail } from './state.ts'

type Snapshot = { version: 1; businessSeq: number; taskSeq: number; instances: Instance[]; emails: StoredEmail[] }

export type Persistence = { load(): void; changed(): void; flush(): void }

const DEBOUNCE_MS = 100

export function createPersistence(file: string | undefined, state: SandboxState, logger: Logger): Persistence {
  if (!file) return { load() {}, changed() {}, flush() {} }
  let timer: NodeJS.Timeout | undefined

  function flush(): void {
    if (timer) clearTimeout(timer)
    timer = undefined
    const snapshot: Snapshot = {
      version: 1,
      businessSeq: state.businessSeq,
      taskSeq: state.taskSeq,
      instances: [...state.instances.values()],
      emails: state.emails,
    }
    mkdirSync(dirname(file as string), { recursive: true })
    const temp = `${file}.${process.pid}.tmp`
    writeFileSync(temp, JSON.stringify(snapshot))
    renameSync(temp, file as string)
  }

  return {
    load() {
      if (!existsSync(file)) return
      const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot
      if (snapshot.version !== 1) throw new Error(`${file}: unknown state file version ${snapshot.version}`)
      state.businessSeq = snapshot.businessSeq
      state.taskSeq = snapshot.taskSeq
      state.instances = new Map(snapshot.instances.map((instance) => [instance.id, instance]))
      state.emails = snapshot.emails
      logger.info({ file, instances: state.instances.size, emails: state.emails.length }, 'state loaded')
    },
    changed() {
      if (timer) return
      timer = setTimeout(() => {
        try {
          flush()
        } catch (error) {
          logger.error({ err: error, file }, 'state file not written')
        }
      }, DEBOUNCE_MS)
      timer.unref()
    },
    flush,
  }
}
