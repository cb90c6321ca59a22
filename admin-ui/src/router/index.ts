import { createRouter, createWebHistory, type RouteRecordRaw, type Router } from 'vue-router'
import { ElMessage } from 'element-plus'
import { useSessionStore } from '@/stores/session'
import { notifyError } from '@/composables/useFormErrors'
import { t } from '@/i18n'
import { sections, menuEntries, type Section } from './sections'
import { decide, homeTarget, type AccessState } from './access'
import type { Console } from '@/utils/permissions'
import { legacyHashTarget } from './legacyHash'

function sectionRoute(s: Section): RouteRecordRaw {
  return {
    path: `${s.console}/${s.path}`,
    name: s.name,
    component: s.component,
    meta: { console: s.console, permission: s.permission, titleKey: s.titleKey },
  }
}

export const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('@/views/auth/LoginView.vue'), meta: { public: true, titleKey: 'auth.login.title' } },
  { path: '/signup', name: 'signup', component: () => import('@/views/auth/SignupView.vue'), meta: { public: true, titleKey: 'auth.signup.title' } },
  {
    path: '/accept-invite',
    name: 'accept-invite',
    component: () => import('@/views/auth/AcceptInviteView.vue'),
    meta: { public: true, titleKey: 'auth.acceptInvite.title' },
  },
  {
    path: '/',
    component: () => import('@/layouts/ConsoleLayout.vue'),
    children: [
      { path: '', name: 'home', component: () => import('@/views/RedirectView.vue') },
      { path: 'merchant', name: 'merchant.home', component: () => import('@/views/RedirectView.vue'), meta: { console: 'merchant' } },
      { path: 'platform', name: 'platform.home', component: () => import('@/views/RedirectView.vue'), meta: { console: 'platform' } },
      ...sections.map(sectionRoute),
      {
        path: 'account/password',
        name: 'account.password',
        component: () => import('@/views/account/ChangePasswordView.vue'),
        meta: { titleKey: 'auth.password.title' },
      },
      { path: 'forbidden', name: 'forbidden', component: () => import('@/views/StatusView.vue'), props: { kind: 'forbidden' } },
      { path: 'no-shop', name: 'no-shop', component: () => import('@/views/StatusView.vue'), props: { kind: 'no_shop' } },
      { path: ':pathMatch(.*)*', name: 'not-found', component: () => import('@/views/StatusView.vue'), props: { kind: 'not_found' } },
    ],
  },
]

export function accessState(): AccessState {
  const s = useSessionStore()
  return {
    authenticated: s.isAuthenticated,
    isOperator: s.isOperator,
    hasTenant: !!s.currentTenant,
    tenantPermissions: s.tenantPermissions,
    platformPermissions: s.platformPermissions,
  }
}

/** Route location of the first screen the user may open (optionally in one console). */
export function resolveHome(prefer?: Console, only = false) {
  const entries = menuEntries()
  const state = accessState()
  const target = homeTarget(only && prefer ? entries.filter((e) => e.console === prefer) : entries, state, prefer)
  if (target === 'no_shop') return { name: 'no-shop' }
  if (target === 'forbidden') return { name: 'forbidden' }
  return target
}

export function installGuards(router: Router): void {
  router.beforeEach(async (to) => {
    const session = useSessionStore()
    if (to.meta.public) {
      // Already signed in: the login page leads home.
      if (to.name === 'login' && session.isAuthenticated) return resolveHomeAfterLoad()
      return true
    }
    if (!session.isAuthenticated) {
      return { name: 'login', query: to.fullPath !== '/' ? { redirect: to.fullPath } : {} }
    }
    try {
      await session.loadMe()
    } catch (e) {
      if (!session.isAuthenticated) return { name: 'login', query: { redirect: to.fullPath } }
      notifyError(e)
      return false
    }
    if (to.name === 'home') return resolveHome(session.isOperator && !session.currentTenant ? 'platform' : 'merchant')
    if (to.name === 'merchant.home') return resolveHome('merchant', true)
    if (to.name === 'platform.home') return resolveHome('platform', true)

    switch (decide(to.meta, accessState())) {
      case 'allow':
        if (to.meta.console) session.activeConsole = to.meta.console
        return true
      case 'login':
        return { name: 'login', query: { redirect: to.fullPath } }
      case 'no_shop':
        return { name: 'no-shop' }
      case 'forbidden':
        return { name: 'forbidden', query: { from: to.fullPath } }
    }
  })

  async function resolveHomeAfterLoad() {
    const session = useSessionStore()
    try {
      await session.loadMe()
    } catch {
      return true // token refused: stay on the login page
    }
    return resolveHome()
  }

  router.afterEach((to) => {
    const title = to.meta.titleKey ? t(to.meta.titleKey) : ''
    document.title = title ? `${title} · ${t('app.name')}` : t('app.name')
  })
}

export function createAppRouter(): Router {
  const legacy = legacyHashTarget(import.meta.env.BASE_URL, location.pathname, location.hash)
  if (legacy) history.replaceState(history.state, '', legacy)
  const router = createRouter({
    history: createWebHistory(import.meta.env.BASE_URL),
    routes,
  })
  installGuards(router)
  return router
}

/** Called by the API client on a 401 from an authenticated call. */
export function onSessionEnded(router: Router): void {
  const session = useSessionStore()
  if (!session.token) return
  session.clear()
  const current = router.currentRoute.value
  if (!current.meta.public) {
    ElMessage.warning({ message: t('auth.sessionExpired'), grouping: true })
    void router.push({ name: 'login', query: { redirect: current.fullPath } })
  }
}
