import { describe, expect, it } from 'vitest'
import { createI18n } from 'vue-i18n'
import zhCN from './zh-CN'
import en from './en'

type Tree = { [k: string]: string | Tree }

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(tree)) {
    const key = prefix ? `${prefix}.${k}` : k
    if (typeof v === 'string') out.set(key, v)
    else for (const [kk, vv] of flatten(v, key)) out.set(kk, vv)
  }
  return out
}

const zh = flatten(zhCN as unknown as Tree)
const enFlat = flatten(en as unknown as Tree)

function placeholders(msg: string): string[] {
  return [...msg.matchAll(/\{\s*([A-Za-z_][\w]*)\s*\}/g)].map((m) => m[1]!).sort()
}

describe('locales', () => {
  it('every zh-CN key exists in en', () => {
    const missing = [...zh.keys()].filter((k) => !enFlat.has(k))
    expect(missing).toEqual([])
  })

  it('every en key exists in zh-CN', () => {
    const missing = [...enFlat.keys()].filter((k) => !zh.has(k))
    expect(missing).toEqual([])
  })

  it('no message is empty and both use the same placeholders', () => {
    for (const [k, v] of zh) {
      expect(v.trim(), k).not.toBe('')
      expect(enFlat.get(k)!.trim(), k).not.toBe('')
      expect(placeholders(enFlat.get(k)!), k).toEqual(placeholders(v))
    }
  })

  it('every message compiles and renders without leftover syntax', () => {
    const i18n = createI18n({ legacy: false, locale: 'zh-CN', messages: { 'zh-CN': zhCN, en }, missingWarn: false, fallbackWarn: false })
    for (const [locale, flat] of [['zh-CN', zh], ['en', enFlat]] as const) {
      i18n.global.locale.value = locale
      for (const [k, v] of flat) {
        const params = Object.fromEntries(placeholders(v).map((p) => [p, `<${p}>`]))
        const out = i18n.global.t(k, params)
        expect(out, `${locale}:${k}`).not.toBe(k)
        expect(out, `${locale}:${k}`).not.toMatch(/[{}]/)
        for (const p of Object.keys(params)) expect(out, `${locale}:${k}`).toContain(`<${p}>`)
      }
    }
  })

  it('has display names for all tenant roles in both languages', () => {
    for (const r of ['owner', 'admin', 'operations', 'finance', 'support']) {
      expect(zh.get(`roles.${r}`)).toBeTruthy()
      expect(enFlat.get(`roles.${r}`)).toBeTruthy()
    }
    expect(zh.get('roles.owner')).toBe('店主')
    expect(zh.get('roles.support')).toBe('客服')
  })
})
