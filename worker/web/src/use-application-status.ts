// Loads an application's status and polls it every few seconds until it is final; pauses while
// the tab is hidden and stops for good on a 404 (wrong link).
import { computed, onMounted, onUnmounted, shallowRef } from 'vue'
import { ApiError, getApplication } from './api.ts'
import type { ApplicationView } from './api.ts'
import { isFinal } from './timeline.ts'

export const POLL_INTERVAL_MS = 5000

export function useApplicationStatus(id: string, token: string | null) {
  const application = shallowRef<ApplicationView | null>(null)
  const error = shallowRef<ApiError | null>(token ? null : new ApiError(404, 'NOT_FOUND', null))
  const loading = shallowRef(false)
  const updatedAt = shallowRef<Date | null>(null)
  let timer: ReturnType<typeof setTimeout> | undefined
  let controller: AbortController | undefined
  let stopped = false

  const done = () =>
    stopped ||
    error.value?.status === 404 ||
    (application.value !== null && isFinal(application.value.status))

  async function refresh() {
    if (!token || stopped) return
    clearTimeout(timer)
    controller?.abort()
    const current = (controller = new AbortController())
    loading.value = true
    try {
      application.value = await getApplication(id, token, { signal: current.signal })
      error.value = null
      updatedAt.value = new Date()
    } catch (e) {
      if (current.signal.aborted) return
      error.value = e instanceof ApiError ? e : new ApiError(0, 'UNEXPECTED', null)
    } finally {
      if (controller === current) loading.value = false
    }
    schedule()
  }

  function schedule() {
    clearTimeout(timer)
    if (done() || document.visibilityState !== 'visible') return
    timer = setTimeout(refresh, POLL_INTERVAL_MS)
  }

  function onVisibility() {
    if (document.visibilityState === 'visible') {
      if (!done()) void refresh()
    } else {
      clearTimeout(timer)
    }
  }

  onMounted(() => {
    document.addEventListener('visibilitychange', onVisibility)
    void refresh()
  })
  onUnmounted(() => {
    stopped = true
    clearTimeout(timer)
    controller?.abort()
    document.removeEventListener('visibilitychange', onVisibility)
  })

  /** True while the page keeps asking for news (not final, link valid). */
  const polling = computed(() => !done())

  return { application, error, loading, updatedAt, refresh, polling }
}
