import { createI18n } from 'vue-i18n'
import zhCN, { type MessageSchema } from '@/locales/zh-CN'
import en from '@/locales/en'

export type AppLocale = 'zh-CN' | 'en'
export const LOCALES: { value: AppLocale; label: string }[] = [
  { value: 'zh-CN', label: '简体中文' },
  { value: 'en', label: 'English' },
]
export const LOCALE_KEY = 'banyan.locale'
export const DEFAULT_LOCALE: AppLocale = 'zh-CN'

export const messages: Record<AppLocale, MessageSchema> = { 'zh-CN': zhCN, en }

function isLocale(v: unknown): v is AppLocale {
  return v === 'zh-CN' || v === 'en'
}

export function storedLocale(): AppLocale {
  try {
    const v = localStorage.getItem(LOCALE_KEY)
    if (isLocale(v)) return v
  } catch {
    /* storage unavailable */
  }
  return DEFAULT_LOCALE
}

export const i18n = createI18n<[MessageSchema], AppLocale, false>({
  legacy: false,
  locale: storedLocale(),
  fallbackLocale: DEFAULT_LOCALE,
  messages,
  missingWarn: false,
  fallbackWarn: false,
})

export function currentLocale(): AppLocale {
  return i18n.global.locale.value
}

export function setLocale(l: AppLocale): void {
  i18n.global.locale.value = l
  try {
    localStorage.setItem(LOCALE_KEY, l)
  } catch {
    /* ignore */
  }
  if (typeof document !== 'undefined') document.documentElement.lang = l
}

/** Translate outside components (stores, router, API glue). */
export const t = i18n.global.t
export const te = i18n.global.te
