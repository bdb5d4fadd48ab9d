// Moving between the page's two addresses without a reload: pushState, then the same popstate
// the browser fires on back and forward, which App.vue follows.

export function navigate(path: string): void {
  history.pushState(null, '', path)
  window.dispatchEvent(new PopStateEvent('popstate'))
}

/** The path and query of a status link of this site (the worker's PUBLIC_ORIGIN), or null. */
export function statusPath(statusUrl: string, base: string): string | null {
  try {
    const url = new URL(statusUrl, base)
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
    return /^\/status\/[^/]+$/.test(url.pathname) && url.searchParams.get('t') ? url.pathname + url.search : null
  } catch {
    return null
  }
}
