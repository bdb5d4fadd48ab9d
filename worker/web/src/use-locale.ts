// The chosen language, shared by every component: starts from the remembered choice or the
// browser's languages, is remembered in localStorage (and a cookie, so the worker serves the page
// pre-rendered in it), and keeps <html lang> in step. A pre-rendered page starts in its own
// language, so that hydration matches what the worker sent.
import { ref, watchEffect } from 'vue'
import { isLocale, MESSAGES, pickLocale, translate } from './i18n.ts'
import type { Dictionary, Locale, MessageKey, MessageParams } from './i18n.ts'

const STORAGE_KEY = 'licensedesk.locale'
/** Read by the worker when it picks the pre-rendered page (worker/src/routes/pages.ts). */
export const LOCALE_COOKIE = 'licensedesk_locale'

const locale = ref<Locale>(initialLocale())

if (!import.meta.env.SSR) {
  watchEffect(() => {
    document.documentElement.lang = locale.value
  })
}

function initialLocale(): Locale {
  // At build time the pre-renderer sets the language itself.
  if (import.meta.env.SSR) return 'zh-CN'
  const html = document.documentElement
  if (html.hasAttribute('data-prerendered') && isLocale(html.lang)) return html.lang
  return pickLocale(readStored(), navigator.languages ?? [navigator.language])
}

/** The remembered choice, when it differs from the language the page started in. */
export function storedChoice(): Locale | null {
  const stored = readStored()
  return isLocale(stored) && stored !== locale.value ? stored : null
}

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY)
  } catch {
    return null // storage can be disabled (private mode, policies)
  }
}

function setLocale(next: Locale) {
  locale.value = next
  try {
    localStorage.setItem(STORAGE_KEY, next)
  } catch {
    // the choice then lasts for this visit only
  }
  document.cookie = `${LOCALE_COOKIE}=${next}; path=/; max-age=31536000; samesite=lax`
}

/** A `t` for a page's own dictionary, following the chosen language. */
function translator<K extends string>(messages: Dictionary<K>) {
  return (key: K, params?: MessageParams) => translate(messages, locale.value, key, params)
}

const t = translator<MessageKey>(MESSAGES)

export function useLocale() {
  return { locale, setLocale, t, translator }
}
