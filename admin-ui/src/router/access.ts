// Route access decisions, kept pure so that they can be unit-tested.
import type { RouteMeta } from 'vue-router'
import { filterMenu, meets, type Console, type MenuEntry, type Requirement } from '@/utils/permissions'

declare module 'vue-router' {
  interface RouteMeta {
    /** Reachable without signing in (login, signup, accept-invite). */
    public?: boolean
    /** Which console the route belongs to. */
    console?: Console
    /** Permission needed (see utils/permissions). */
    permission?: Requirement
    /** i18n key of the page title. */
    titleKey?: string
  }
}

export interface AccessState {
  authenticated: boolean
  isOperator: boolean
  hasTenant: boolean
  tenantPermissions: string[]
  platformPermissions: string[]
}

export type Decision = 'allow' | 'login' | 'forbidden' | 'no_shop'

export function decide(meta: RouteMeta, s: AccessState): Decision {
  if (meta.public) return 'allow'
  if (!s.authenticated) return 'login'
  if (meta.console === 'platform') {
    if (!s.isOperator) return 'forbidden'
    return meets(s.platformPermissions, meta.permission) ? 'allow' : 'forbidden'
  }
  if (meta.console === 'merchant') {
    if (!s.hasTenant) return 'no_shop'
    return meets(s.tenantPermissions, meta.permission) ? 'allow' : 'forbidden'
  }
  return meets([...s.tenantPermissions, ...s.platformPermissions], meta.permission) ? 'allow' : 'forbidden'
}

/** The entries of a console the state allows, in menu order. */
export function allowedEntries(entries: MenuEntry[], c: Console, s: AccessState): MenuEntry[] {
  if (c === 'platform' && !s.isOperator) return []
  if (c === 'merchant' && !s.hasTenant) return []
  return filterMenu(entries, c, c === 'platform' ? s.platformPermissions : s.tenantPermissions)
}

/**
 * Where "home" is: the first allowed merchant section, else the first allowed
 * platform section; 'no_shop' for a user without shops and platform access.
 */
export function homeTarget(
  entries: MenuEntry[],
  s: AccessState,
  prefer: Console = 'merchant',
): { name: string } | 'no_shop' | 'forbidden' {
  const order: Console[] = prefer === 'platform' ? ['platform', 'merchant'] : ['merchant', 'platform']
  for (const c of order) {
    const first = allowedEntries(entries, c, s)[0]
    if (first) return { name: first.name }
  }
  if (!s.hasTenant && !s.isOperator) return 'no_shop'
  return 'forbidden'
}
