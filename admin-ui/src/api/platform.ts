// Platform console endpoints (operator token, no X-Tenant).
import { http, type Page } from './http'
import type { Plan, PlanInput, PlatformTenant, PluginInfo, TenantListParams } from './types'

/** GET /platform/tenants?q=&status=&cursor=&limit= */
export function listTenants(params: TenantListParams = {}): Promise<Page<PlatformTenant>> {
  return http.get('/platform/tenants', { query: { ...params } })
}

/** GET /platform/tenants/{id} */
export function getTenant(id: string): Promise<PlatformTenant> {
  return http.get(`/platform/tenants/${encodeURIComponent(id)}`)
}

/** POST /platform/tenants/{id}/suspend */
export function suspendTenant(id: string, reason: string): Promise<PlatformTenant> {
  return http.post(`/platform/tenants/${encodeURIComponent(id)}/suspend`, { reason })
}

/** POST /platform/tenants/{id}/resume */
export function resumeTenant(id: string): Promise<PlatformTenant> {
  return http.post(`/platform/tenants/${encodeURIComponent(id)}/resume`, {})
}

/** PATCH /platform/tenants/{id} — change plan. */
export function changeTenantPlan(id: string, planId: string): Promise<PlatformTenant> {
  return http.patch(`/platform/tenants/${encodeURIComponent(id)}`, { plan_id: planId })
}

/** GET /platform/plans */
export function listPlans(): Promise<{ items: Plan[] }> {
  return http.get('/platform/plans')
}

/** POST /platform/plans */
export function createPlan(input: PlanInput): Promise<Plan> {
  return http.post('/platform/plans', input)
}

/** PATCH /platform/plans/{id} */
export function updatePlan(id: string, input: Partial<PlanInput>): Promise<Plan> {
  return http.patch(`/platform/plans/${encodeURIComponent(id)}`, input)
}

/** GET /platform/plugins */
export function listPlugins(): Promise<{ items: PluginInfo[] }> {
  return http.get('/platform/plugins')
}

export interface PlatformReportRow {
  tenant_id: string
  slug: string
  name: string
  gmv: string
  orders: number
  refunds: string
  commission: string
  platform_fees: string
}

export interface PlatformReport {
  from: string
  to: string
  tenants: PlatformReportRow[] | null
  total: PlatformReportRow
}

/** GET /platform/reports — figures per tenant over a period (default: the last month). */
export function platformReport(from?: string, to?: string): Promise<PlatformReport> {
  return http.get('/platform/reports', { query: { from, to } })
}
