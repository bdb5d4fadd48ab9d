// The current console route, shared: follows back/forward, and `navigate` moves without a reload.
import { shallowRef } from 'vue'
import { parseConsoleRoute, type ConsoleRoute } from './console-route.ts'

const route = shallowRef<ConsoleRoute>(parseConsoleRoute(location.pathname))

addEventListener('popstate', () => {
  route.value = parseConsoleRoute(location.pathname)
})

function navigate(href: string) {
  if (href !== location.pathname + location.search) history.pushState(null, '', href)
  route.value = parseConsoleRoute(location.pathname)
  scrollTo(0, 0)
}

/** For an <a> click: plain clicks navigate in place; modified ones (new tab) are left to the browser. */
function follow(event: MouseEvent, href: string) {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return
  event.preventDefault()
  navigate(href)
}

export function useConsoleRoute() {
  return { route, navigate, follow }
}
