/**
 * The router uses HTML5 history (/admin/accept-invite?token=…). Links in the
 * hash form (/admin/#/accept-invite?token=…) are turned into that form before
 * the router starts. Returns the new URL, or null when there is nothing to do.
 */
export function legacyHashTarget(base: string, pathname: string, hash: string): string | null {
  if (!hash.startsWith('#/')) return null
  const b = base.endsWith('/') ? base : base + '/'
  if (pathname !== b && pathname !== b.slice(0, -1) && pathname !== b + 'index.html') return null
  return b + hash.slice(2)
}

/** An absolute URL for a path the server returned (e.g. an invite link). */
export function absoluteUrl(u: string, origin: string = globalThis.location?.origin ?? ''): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(u)) return u
  return origin + (u.startsWith('/') ? u : '/' + u)
}
