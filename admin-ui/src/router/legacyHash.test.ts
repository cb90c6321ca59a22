import { describe, expect, it } from 'vitest'
import { absoluteUrl, legacyHashTarget } from './legacyHash'

describe('legacyHashTarget', () => {
  it('turns /admin/#/route into /admin/route', () => {
    expect(legacyHashTarget('/admin/', '/admin/', '#/accept-invite?token=abc')).toBe('/admin/accept-invite?token=abc')
    expect(legacyHashTarget('/admin/', '/admin', '#/login')).toBe('/admin/login')
  })
  it('leaves other URLs alone', () => {
    expect(legacyHashTarget('/admin/', '/admin/', '')).toBeNull()
    expect(legacyHashTarget('/admin/', '/admin/', '#section')).toBeNull()
    expect(legacyHashTarget('/admin/', '/admin/merchant/staff', '#/x')).toBeNull()
  })
})

describe('absoluteUrl', () => {
  it('prefixes paths with the origin and keeps absolute URLs', () => {
    expect(absoluteUrl('/admin/accept-invite?token=t', 'https://shop.example')).toBe('https://shop.example/admin/accept-invite?token=t')
    expect(absoluteUrl('https://x.example/a', 'https://shop.example')).toBe('https://x.example/a')
  })
})
