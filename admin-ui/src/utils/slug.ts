// Shop slug rules (the same as tenants.ValidateSlug on the server): 3–32
// characters of a-z, 0-9 and '-', used as the subdomain {slug}.{BASE_DOMAIN},
// so it may not start or end with '-' (nor contain '--'); a few names are
// reserved for the platform's own hosts.

export const SLUG_MIN = 3
export const SLUG_MAX = 32
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/

export type SlugProblem = 'required' | 'too_short' | 'too_long' | 'invalid_chars' | 'hyphen_edge' | 'double_hyphen' | 'reserved'

/** Mirrors the server's list (tenants/tenants.go); the server has the last word. */
export const RESERVED_SLUGS = new Set(
  `www admin api platform app apps static assets cdn img images media mail smtp
   imap pop help support status docs blog shop store stores banyan root system dev test staging
   billing auth login logout signup register dashboard console account accounts webhook webhooks
   r m wap mobile pay payment payments oauth sso ns ns1 ns2 ftp metrics healthz readyz`.split(/\s+/),
)

/** Returns null when the slug is valid, else what is wrong with it (first problem found). */
export function validateSlug(slug: string): SlugProblem | null {
  if (!slug) return 'required'
  if (/[^a-z0-9-]/.test(slug)) return 'invalid_chars'
  if (slug.length < SLUG_MIN) return 'too_short'
  if (slug.length > SLUG_MAX) return 'too_long'
  if (slug.startsWith('-') || slug.endsWith('-')) return 'hyphen_edge'
  if (slug.includes('--')) return 'double_hyphen'
  if (RESERVED_SLUGS.has(slug)) return 'reserved'
  return null
}

/** Best-effort slug from a shop name (ASCII letters/digits only; '' if nothing usable). */
export function suggestSlug(name: string): string {
  const s = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/g, '')
  return validateSlug(s) === null ? s : ''
}
