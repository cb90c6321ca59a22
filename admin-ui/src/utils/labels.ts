import { t, te } from '@/i18n'

/** Translation of `key`, or `raw` when there is none (e.g. a value added server-side later). */
export function labelOr(key: string, raw: string): string {
  return te(key) ? t(key) : raw
}

export const roleLabel = (role: string) => labelOr(`roles.${role}`, role)

export function formatDateTime(iso: string | undefined | null, locale?: string): string {
  if (!iso) return ''
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return iso
  return d.toLocaleString(locale, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
}
