import type { ShopSettings, ShopSettingsPatch } from '@/api/types'

export const EDITABLE_SETTINGS = ['name', 'logo_url', 'primary_color', 'custom_domain', 'currency', 'timezone'] as const
export type EditableSetting = (typeof EDITABLE_SETTINGS)[number]

export const CURRENCIES = ['CNY', 'HKD', 'TWD', 'MOP', 'USD', 'EUR', 'GBP', 'JPY', 'KRW', 'SGD', 'MYR', 'THB', 'AUD', 'CAD']

const FALLBACK_TIMEZONES = [
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Taipei',
  'Asia/Macau',
  'Asia/Singapore',
  'Asia/Tokyo',
  'Asia/Seoul',
  'Asia/Bangkok',
  'Asia/Kuala_Lumpur',
  'Europe/London',
  'Europe/Berlin',
  'Europe/Paris',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'Australia/Sydney',
  'UTC',
]

export function timeZones(): string[] {
  try {
    const list = (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone')
    if (list && list.length) return list.includes('UTC') ? list : [...list, 'UTC']
  } catch {
    /* old browser */
  }
  return FALLBACK_TIMEZONES
}

/** Only the editable fields whose value differs from the loaded settings. */
export function settingsPatch(original: ShopSettings, edited: Record<EditableSetting, string>): ShopSettingsPatch {
  const patch: ShopSettingsPatch = {}
  for (const k of EDITABLE_SETTINGS) {
    const v = (edited[k] ?? '').trim()
    if (v !== (original[k] ?? '')) patch[k] = v
  }
  return patch
}
