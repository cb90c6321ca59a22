// Merchant admin endpoints: every call sends X-Tenant (the selected shop).
import { http, type Page, type PageParams } from './http'
import type { InviteResult, ShopSettings, ShopSettingsPatch, StaffMember, TenantRole } from './types'

const T = { tenant: true } as const

/** GET /admin/staff */
export function listStaff(params: PageParams = {}): Promise<Page<StaffMember>> {
  return http.get('/admin/staff', { ...T, query: { ...params } })
}

/** POST /admin/staff — invite by email. */
export function inviteStaff(email: string, role: TenantRole | string): Promise<InviteResult> {
  return http.post('/admin/staff', { email, role }, T)
}

/** PATCH /admin/staff/{user_id} */
export function updateStaffRole(userId: string, role: TenantRole | string): Promise<StaffMember> {
  return http.patch(`/admin/staff/${encodeURIComponent(userId)}`, { role }, T)
}

/** DELETE /admin/staff/{user_id} */
export function removeStaff(userId: string): Promise<void> {
  return http.del(`/admin/staff/${encodeURIComponent(userId)}`, T)
}

/** GET /admin/settings */
export function getSettings(): Promise<ShopSettings> {
  return http.get('/admin/settings', T)
}

/** PATCH /admin/settings — send only the fields that changed. */
export function updateSettings(patch: ShopSettingsPatch): Promise<ShopSettings> {
  return http.patch('/admin/settings', patch, T)
}
/** Uploads a branding or banner image; answers the URL it is served at. */
export function uploadShopImage(file: Blob, name = 'image'): Promise<{ url: string }> {
  const fd = new FormData()
  fd.append('file', file, name)
  return http.post('/admin/images', fd, T)
}
