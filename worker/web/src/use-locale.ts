// The chosen language, shared by every component: starts from the remembered choice or the
// browser's languages, is remembered in localStorage, and keeps <html lang> in step.
import { ref, watchEffect } from 'vue'
import { MESSAGES, pickLocale, translate } from './i18n.ts'
import type { Dictionary, Locale, MessageKey, MessageParams } from './i18n.ts'

const STORAGE_KEY = 'licensedesk.locale'

const locale = ref<Locale>(pickLocale(readStored(), navigator.languages ?? [navigator.language]))

watchEffect(() => {
  document.documentElement.lang = locale.value
})

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
}

/** A `t` for a page's own dictionary, following the chosen language. */
function translator<K extends string>(messages: Dictionary<K>) {
  return (key: K, params?: MessageParams) => translate(messages, locale.value, key, params)
}

const t = translator<MessageKey>(MESSAGES)

export function useLocale() {
  return { locale, setLocale, t, translator }
}
