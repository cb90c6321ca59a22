import { describe, expect, it } from 'vitest'
import type { ShopSettings } from '@/api/types'
import { settingsPatch, timeZones } from './settings'

const base: ShopSettings = {
  name: 'Tea',
  logo_url: '',
  primary_color: '#2f7d4f',
  custom_domain: '',
  currency: 'CNY',
  timezone: 'Asia/Shanghai',
  slug: 'tea',
  plan: { code: 'free', name: 'Free', max_staff: 3, max_products: 50, max_plugins: 1 },
}

describe('settingsPatch', () => {
  it('sends only changed editable fields, trimmed', () => {
    const edited = { name: ' Tea House ', logo_url: '', primary_color: '#2f7d4f', custom_domain: 'shop.example.com', currency: 'CNY', timezone: 'Asia/Shanghai' }
    expect(settingsPatch(base, edited)).toEqual({ name: 'Tea House', custom_domain: 'shop.example.com' })
  })
  it('is empty when nothing changed', () => {
    const edited = { name: 'Tea', logo_url: '', primary_color: '#2f7d4f', custom_domain: '', currency: 'CNY', timezone: 'Asia/Shanghai' }
    expect(settingsPatch(base, edited)).toEqual({})
    expect(settingsPatch({ ...base, custom_domain: null }, edited)).toEqual({})
  })
})

describe('timeZones', () => {
  it('lists Asia/Shanghai and UTC', () => {
    const z = timeZones()
    expect(z).toContain('Asia/Shanghai')
    expect(z).toContain('UTC')
  })
})
