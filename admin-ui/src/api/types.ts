// Wire types of the Banyan API (/api/v1), as agreed with the Go server.

export interface User {
  id: string
  email: string
  name: string
}

export type TenantStatus = 'active' | 'suspended' | (string & {})

export interface TenantRef {
  id: string
  slug: string
  name: string
  status: TenantStatus
}

export type TenantRole = 'owner' | 'admin' | 'operations' | 'finance' | 'support'
export const TENANT_ROLES: TenantRole[] = ['owner', 'admin', 'operations', 'finance', 'support']

export type PlatformRole = 'operator' | 'superadmin'

export interface Session {
  token: string
  expires_at: string
}

export interface LoginResult extends Session {
  user: User
}

export interface SignupRequest {
  shop_name: string
  slug: string
  email: string
  password: string
}

export interface SignupResult extends Session {
  tenant: TenantRef
  user: User
}

export interface MeTenant extends TenantRef {
  role: TenantRole | (string & {})
  permissions: string[]
}

export interface Me {
  user: User
  platform_roles: (PlatformRole | (string & {}))[]
  platform_permissions: string[]
  tenants: MeTenant[]
}

// --- merchant admin -------------------------------------------------------

export type StaffStatus = 'active' | 'invited'

export interface StaffMember {
  user_id: string
  email: string
  name: string
  role: TenantRole | (string & {})
  status: StaffStatus | (string & {})
  created_at: string
}

export interface InviteResult {
  user_id: string
  email: string
  role: TenantRole | (string & {})
  status: StaffStatus | (string & {})
  /** Present when the invited user is new: an accept-invite link to pass on. */
  invite_url?: string
}

export interface PlanLimits {
  max_staff: number
  max_products: number
  max_plugins: number
}

export interface ShopSettings {
  id?: string
  status?: TenantStatus
  name: string
  logo_url: string
  primary_color: string
  /** null when none is set. */
  custom_domain: string | null
  currency: string
  timezone: string
  slug: string
  plan: { code: string; name: string } & PlanLimits
  /** The storefront home's banners, in display order. */
  banners?: Banner[] | null
}

/** One storefront banner (shop settings). */
export interface Banner {
  image: string
  link: string
  title: string
  sort: number
}

export interface ShopSettingsPatch {
  name?: string
  logo_url?: string
  primary_color?: string
  custom_domain?: string
  currency?: string
  timezone?: string
  banners?: Banner[]
}

// --- platform -------------------------------------------------------------

export interface TenantUsage {
  staff: number
  members: number
  products: number
}

export interface PlatformTenant extends TenantRef {
  plan: { id: string; code: string; name: string }
  created_at: string
  usage: TenantUsage
  suspended_reason?: string
}

export interface TenantListParams {
  q?: string
  status?: string
  cursor?: string
  limit?: number
}

export interface Plan extends PlanLimits {
  id: string
  code: string
  name: string
  created_at: string
}

export interface PlanInput extends PlanLimits {
  code: string
  name: string
}

export type PluginKind = 'promotion' | 'commission' | 'payment' | (string & {})

export interface PluginInfo {
  name: string
  kind: PluginKind
  version: string
  description: string
  state: string
  reason: string
  plans: string[]
}
