import { describe, expect, it } from 'vitest'
import { filterMenu, groupMenu, hasPermission, meets, type MenuEntry } from './permissions'

describe('hasPermission', () => {
  it('matches exact permissions and wildcards', () => {
    expect(hasPermission(['staff:read'], 'staff:read')).toBe(true)
    expect(hasPermission(['staff:read'], 'staff:write')).toBe(false)
    expect(hasPermission(['staff:*'], 'staff:write')).toBe(true)
    expect(hasPermission(['*'], 'platform.tenants:read')).toBe(true)
    expect(hasPermission(['platform.tenants:*'], 'platform.plans:read')).toBe(false)
    expect(hasPermission([], 'staff:read')).toBe(false)
  })
  it('treats a missing requirement as met and an array as any-of', () => {
    expect(meets([], undefined)).toBe(true)
    expect(meets(['orders:read'], ['finance:read', 'orders:read'])).toBe(true)
    expect(meets(['orders:read'], ['finance:read'])).toBe(false)
  })
})

const entry = (name: string, permission: string, order: number, extra: Partial<MenuEntry> = {}): MenuEntry => ({
  name,
  path: `/merchant/${name}`,
  titleKey: `menu.${name}`,
  permission,
  console: 'merchant',
  order,
  ...extra,
})

describe('filterMenu', () => {
  const entries: MenuEntry[] = [
    entry('settings', 'settings:read', 910, { group: 'shop' }),
    entry('staff', 'staff:read', 900, { group: 'shop' }),
    entry('orders', 'orders:read', 100),
    entry('commissions', 'commissions:read', 300, { group: 'distribution' }),
    entry('tenants', 'platform.tenants:read', 10, { console: 'platform' }),
  ]

  it('keeps only the entries of the console that the permissions allow, in order', () => {
    const support = filterMenu(entries, 'merchant', ['orders:read', 'settings:read'])
    expect(support.map((e) => e.name)).toEqual(['orders', 'settings'])
    const owner = filterMenu(entries, 'merchant', ['*'])
    expect(owner.map((e) => e.name)).toEqual(['orders', 'commissions', 'staff', 'settings'])
    expect(filterMenu(entries, 'merchant', [])).toEqual([])
  })

  it('never mixes consoles', () => {
    expect(filterMenu(entries, 'platform', ['*']).map((e) => e.name)).toEqual(['tenants'])
    expect(filterMenu(entries, 'merchant', ['platform.tenants:read'])).toEqual([])
  })

  it('groups entries by group, keeping first-appearance order', () => {
    const g = groupMenu(filterMenu(entries, 'merchant', ['*']))
    expect(g.map((x) => [x.group, x.entries.map((e) => e.name)])).toEqual([
      ['', ['orders']],
      ['distribution', ['commissions']],
      ['shop', ['staff', 'settings']],
    ])
  })
})
