// Logistics (merchant admin, X-Tenant): the shop's carriers and tracking uploads.
import { http } from './http'
import type { RowError } from './catalog'

const T = { tenant: true } as const
const id = encodeURIComponent

export interface Carrier {
  code: string
  name: string
  /** http(s) URL with {tracking_no}, or empty. */
  tracking_url: string
  enabled: boolean
  sort_order: number
  created_at: string
  updated_at: string
}

export interface CarrierInput {
  code?: string
  name?: string
  tracking_url?: string
  enabled?: boolean
  sort_order?: number
}

/** The shop's carriers by sort order; `enabledOnly` for shipping. */
export function listCarriers(enabledOnly = false): Promise<Carrier[]> {
  return http.get('/admin/carriers', { ...T, query: enabledOnly ? { enabled: true } : {} })
}
export function createCarrier(input: CarrierInput): Promise<Carrier> {
  return http.post('/admin/carriers', input, T)
}
export function updateCarrier(code: string, input: CarrierInput): Promise<Carrier> {
  return http.patch(`/admin/carriers/${id(code)}`, input, T)
}
export function deleteCarrier(code: string): Promise<void> {
  return http.del(`/admin/carriers/${id(code)}`, T)
}

export interface TrackingImport {
  dry_run: boolean
  rows: number
  valid: boolean
  added: number
  duplicates: number
  errors: RowError[]
}

/** Uploads a tracking CSV (multipart, field file); dryRun only checks it. */
export function importTracking(file: Blob, name: string, dryRun: boolean): Promise<TrackingImport> {
  const fd = new FormData()
  fd.append('file', file, name)
  return http.post('/admin/tracking-imports', fd, { ...T, query: dryRun ? { dry_run: true } : {} })
}
