// Shared console state: its translator, and the one flag every view raises when the API answers
// 401/403 (the Access session ran out), so the shell shows one clear way back in.
import { ref, shallowRef, watch, type Ref } from 'vue'
import { ApiError } from '../api.ts'
import { useLocale } from '../use-locale.ts'
import { isSignedOut } from './console-api.ts'
import { CONSOLE_MESSAGES, isConsoleMessageKey } from './console-messages.ts'

const sessionLost = shallowRef<ApiError | null>(null)

export function useConsole() {
  const { locale, translator } = useLocale()
  const t = translator(CONSOLE_MESSAGES)
  /** The text of `prefix.value` when there is one (a status, a source), else the value itself. */
  const label = (prefix: string, value: string) => {
    const key = `${prefix}.${value}`
    return isConsoleMessageKey(key) ? t(key) : value
  }
  return { locale, t, label, sessionLost }
}

/** Loads `fetcher` now and whenever `source` changes; the latest call wins. */
export function useLoad<T>(fetcher: (signal: AbortSignal) => Promise<T>, source?: Ref<unknown>) {
  const data = shallowRef<T | null>(null)
  const error = shallowRef<ApiError | null>(null)
  const loading = ref(false)
  let current: AbortController | null = null

  async function load() {
    current?.abort()
    const controller = (current = new AbortController())
    loading.value = true
    error.value = null
    try {
      data.value = await fetcher(controller.signal)
    } catch (err) {
      if (controller.signal.aborted) return
      const failure = err instanceof ApiError ? err : new ApiError(0, 'NETWORK_ERROR', null)
      if (isSignedOut(failure)) sessionLost.value = failure
      error.value = failure
    } finally {
      if (current === controller) loading.value = false
    }
  }

  if (source) watch(source, load)
  void load()
  return { data, error, loading, reload: load }
}
