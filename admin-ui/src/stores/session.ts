import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import * as authApi from '@/api/auth'
import type { Me, MeTenant, Session } from '@/api/types'
import { meets, type Console, type Requirement } from '@/utils/permissions'

export const TOKEN_KEY = 'banyan.token'
export const EXPIRES_KEY = 'banyan.token_expires_at'
export const TENANT_KEY = 'banyan.tenant'

function load(key: string): string | null {
  try {
    return localStorage.getItem(key)
  } catch {
    return null
  }
}
function save(key: string, v: string | null): void {
  try {
    if (v === null) localStorage.removeItem(key)
    else localStorage.setItem(key, v)
  } catch {
    /* ignore */
  }
}

export const useSessionStore = defineStore('session', () => {
  const token = ref<string | null>(load(TOKEN_KEY))
  const expiresAt = ref<string | null>(load(EXPIRES_KEY))
  const me = ref<Me | null>(null)
  // Per tab in memory, remembered across reloads in localStorage.
  const tenantSlug = ref<string | null>(load(TENANT_KEY))
  /** Console of the last screen opened (for pages outside both consoles). */
  const activeConsole = ref<Console>('merchant')
  let meInFlight: Promise<Me | null> | null = null

  const isAuthenticated = computed(() => {
    if (!token.value) return false
    if (expiresAt.value) {
      const exp = Date.parse(expiresAt.value)
      if (!Number.isNaN(exp) && exp <= Date.now()) return false
    }
    return true
  })

  const tenants = computed<MeTenant[]>(() => me.value?.tenants ?? [])
  const currentTenant = computed<MeTenant | null>(
    () => tenants.value.find((t) => t.slug === tenantSlug.value) ?? tenants.value[0] ?? null,
  )
  const tenantPermissions = computed<string[]>(() => currentTenant.value?.permissions ?? [])
  const platformRoles = computed<string[]>(() => me.value?.platform_roles ?? [])
  const platformPermissions = computed<string[]>(() => me.value?.platform_permissions ?? [])
  const isOperator = computed(() => platformRoles.value.length > 0)

  function permissionsFor(c: Console): string[] {
    return c === 'platform' ? platformPermissions.value : tenantPermissions.value
  }

  /** Whether the user may do/see `req` in console `c` (merchant: the current shop). */
  function can(req: Requirement, c: Console = 'merchant'): boolean {
    if (c === 'platform' && !isOperator.value) return false
    if (c === 'merchant' && !currentTenant.value) return false
    return meets(permissionsFor(c), req)
  }

  function setSession(s: Session): void {
    token.value = s.token
    expiresAt.value = s.expires_at ?? null
    save(TOKEN_KEY, s.token)
    save(EXPIRES_KEY, s.expires_at ?? null)
  }

  function selectTenant(slug: string | null): void {
    tenantSlug.value = slug
    save(TENANT_KEY, slug)
  }

  /** GET /auth/me once (or again with force); null when not signed in. */
  async function loadMe(force = false): Promise<Me | null> {
    if (!isAuthenticated.value) return null
    if (me.value && !force) return me.value
    if (!meInFlight) {
      meInFlight = authApi
        .me()
        .then((m) => {
          me.value = m
          if (!m.tenants.some((t) => t.slug === tenantSlug.value)) {
            selectTenant(m.tenants[0]?.slug ?? null)
          }
          return m
        })
        .finally(() => {
          meInFlight = null
        })
    }
    return meInFlight
  }

  function clear(): void {
    token.value = null
    expiresAt.value = null
    me.value = null
    save(TOKEN_KEY, null)
    save(EXPIRES_KEY, null)
  }

  async function logout(): Promise<void> {
    try {
      if (token.value) await authApi.logout()
    } catch {
      /* the token is dropped locally anyway */
    }
    clear()
  }

  return {
    token,
    expiresAt,
    me,
    tenantSlug,
    activeConsole,
    isAuthenticated,
    tenants,
    currentTenant,
    tenantPermissions,
    platformRoles,
    platformPermissions,
    isOperator,
    permissionsFor,
    can,
    setSession,
    selectTenant,
    loadMe,
    clear,
    logout,
  }
})
