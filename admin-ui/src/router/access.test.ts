import { describe, expect, it } from 'vitest'
import zhCN from '@/locales/zh-CN'
import { decide, homeTarget, type AccessState } from './access'
import { menuEntries, sections } from './sections'

const owner: AccessState = {
  authenticated: true,
  isOperator: false,
  hasTenant: true,
  tenantPermissions: ['staff:read', 'staff:write', 'settings:read', 'settings:write'],
  platformPermissions: [],
}
const support: AccessState = { ...owner, tenantPermissions: ['settings:read'] }
const operator: AccessState = {
  authenticated: true,
  isOperator: true,
  hasTenant: false,
  tenantPermissions: [],
  platformPermissions: ['platform.tenants:read', 'platform.plugins:read'],
}
const anonymous: AccessState = { authenticated: false, isOperator: false, hasTenant: false, tenantPermissions: [], platformPermissions: [] }

describe('decide (route guard)', () => {
  it('lets anyone reach public routes and sends the anonymous to login', () => {
    expect(decide({ public: true }, anonymous)).toBe('allow')
    expect(decide({ console: 'merchant', permission: 'staff:read' }, anonymous)).toBe('login')
    expect(decide({}, anonymous)).toBe('login')
  })

  it('refuses a merchant screen without the permission for the current shop', () => {
    expect(decide({ console: 'merchant', permission: 'staff:read' }, owner)).toBe('allow')
    expect(decide({ console: 'merchant', permission: 'staff:read' }, support)).toBe('forbidden')
    expect(decide({ console: 'merchant', permission: 'settings:read' }, support)).toBe('allow')
  })

  it('refuses the platform console to non-operators, and merchant screens to users without shops', () => {
    expect(decide({ console: 'platform', permission: 'platform.tenants:read' }, owner)).toBe('forbidden')
    expect(decide({ console: 'platform', permission: 'platform.tenants:read' }, operator)).toBe('allow')
    expect(decide({ console: 'platform', permission: 'platform.plans:read' }, operator)).toBe('forbidden')
    expect(decide({ console: 'merchant', permission: 'staff:read' }, operator)).toBe('no_shop')
  })

  it('allows signed-in pages without a permission (account)', () => {
    expect(decide({}, support)).toBe('allow')
  })
})

describe('homeTarget', () => {
  const entries = menuEntries()
  it('is the first allowed merchant section (staff/settings for now)', () => {
    expect(homeTarget(entries, owner)).toEqual({ name: 'merchant.staff' })
    expect(homeTarget(entries, support)).toEqual({ name: 'merchant.settings' })
  })
  it('falls back to the platform console for operators without shops', () => {
    expect(homeTarget(entries, operator)).toEqual({ name: 'platform.tenants' })
  })
  it('tells users with neither shops nor platform roles', () => {
    expect(homeTarget(entries, { ...anonymous, authenticated: true })).toBe('no_shop')
    expect(homeTarget(entries, { ...owner, tenantPermissions: [] })).toBe('forbidden')
  })
})

describe('sections', () => {
  it('each declares a permission, a unique name and path, and a translated title', () => {
    const names = new Set<string>()
    const paths = new Set<string>()
    for (const s of sections) {
      expect(s.permission, s.name).toBeTruthy()
      expect(s.name.startsWith(`${s.console}.`), s.name).toBe(true)
      expect(names.has(s.name), s.name).toBe(false)
      expect(paths.has(`${s.console}/${s.path}`), s.path).toBe(false)
      names.add(s.name)
      paths.add(`${s.console}/${s.path}`)
      const title = s.titleKey.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], zhCN)
      expect(typeof title, s.titleKey).toBe('string')
      if (s.group) expect((zhCN.menu.group as Record<string, string>)[s.group], s.group).toBeTypeOf('string')
    }
  })
})
