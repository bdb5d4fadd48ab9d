// The console's addresses under /admin, read from and written to location (history API). No
// router library: five views and one parameter do not need one.

export type ConsoleRoute =
  | { name: 'applications' }
  | { name: 'application'; id: string }
  | { name: 'attention' }
  | { name: 'health' }
  | { name: 'licenses' }
  | { name: 'notFound' }

export type ViewName = Exclude<ConsoleRoute['name'], 'application' | 'notFound'>

export const VIEWS: readonly ViewName[] = ['applications', 'attention', 'health', 'licenses']

export function parseConsoleRoute(pathname: string): ConsoleRoute {
  const path = pathname.replace(/\/+$/, '') || '/'
  if (path === '/admin' || path === '/admin/index.html' || path === '/admin/applications') return { name: 'applications' }
  if (path === '/admin/attention') return { name: 'attention' }
  if (path === '/admin/health') return { name: 'health' }
  if (path === '/admin/licenses') return { name: 'licenses' }
  const one = /^\/admin\/applications\/([^/]+)$/.exec(path)
  if (one) {
    try {
      return { name: 'application', id: decodeURIComponent(one[1]) }
    } catch {
      return { name: 'notFound' }
    }
  }
  return { name: 'notFound' }
}

export function hrefOf(route: ConsoleRoute): string {
  switch (route.name) {
    case 'applications':
      return '/admin'
    case 'application':
      return `/admin/applications/${encodeURIComponent(route.id)}`
    case 'notFound':
      return '/admin'
    default:
      return `/admin/${route.name}`
  }
}

/** The nav entry a route belongs to (one application belongs to the list). */
export function viewOf(route: ConsoleRoute): ViewName | null {
  if (route.name === 'application') return 'applications'
  return route.name === 'notFound' ? null : route.name
}
