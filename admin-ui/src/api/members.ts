// Members, member levels, tags, points and coupons (merchant admin, X-Tenant).
import { http, type Page, type PageParams } from './http'

const T = { tenant: true } as const

export interface MemberLevel {
  id: string
  name: string
  rank: number
  threshold_kind: 'spend' | 'growth' | (string & {})
  threshold: string
  price_factor: string
  points_multiplier: string
  free_shipping: boolean
  created_at: string
  updated_at: string
}

export interface MemberLevelInput {
  name?: string
  rank?: number
  threshold_kind?: string
  threshold?: string
  price_factor?: string
  points_multiplier?: string
  free_shipping?: boolean
}

export interface MemberTag {
  id: string
  name: string
  members: number
  created_at: string
}

export interface MemberSummary {
  id: string
  phone: string | null
  email: string | null
  name: string
  avatar_url: string
  gender: string
  birthday: string | null
  status: 'active' | 'disabled' | (string & {})
  level_id: string | null
  level_name: string
  referrer_id: string | null
  total_spend: string
  growth: number
  created_at: string
}

export interface LevelChange {
  id: number
  from_level_id: string | null
  to_level_id: string | null
  from_name: string
  to_name: string
  reason: string
  order_id: string | null
  actor_id: string
  created_at: string
}

export interface MemberDetail extends Omit<MemberSummary, 'level_name'> {
  level: MemberLevel | null
  tags: MemberTag[] | null
  points_balance: number
  identities: string[] | null
  level_history: LevelChange[] | null
  /** Coupon counts by status. */
  coupons: Record<string, number> | null
  /** Order counts by status. */
  orders: Record<string, number> | null
}

export interface MemberQuery extends PageParams {
  keyword?: string
  phone?: string
  email?: string
  level_id?: string
  tag_id?: string
  status?: string
}

export interface PointsEntry {
  id: number
  delta: number
  balance_after: number
  kind: string
  reason: string
  order_id: string | null
  expires_at: string | null
  created_at: string
}

export interface PointsPage extends Page<PointsEntry> {
  balance: number
  expiring_soon: number
}

export type CouponKind = 'fixed' | 'percent'
export type CouponScope = 'all' | 'categories' | 'products'

export interface CouponTemplate {
  id: string
  name: string
  description: string
  kind: CouponKind | (string & {})
  amount: string
  percent: string
  max_discount: string | null
  min_spend: string
  scope: CouponScope | (string & {})
  scope_ids: string[] | null
  total_quantity: number | null
  issued_count: number
  per_member_limit: number
  claimable: boolean
  valid_from: string | null
  valid_until: string | null
  valid_days: number | null
  status: 'active' | 'disabled' | (string & {})
  created_at: string
  updated_at: string
}

export interface CouponTemplateInput {
  name: string
  description?: string
  kind: string
  amount?: string | null
  percent?: string | null
  max_discount?: string | null
  min_spend?: string | null
  scope: string
  scope_ids?: string[]
  total_quantity?: number | null
  per_member_limit?: number | null
  claimable?: boolean | null
  valid_from?: string | null
  valid_until?: string | null
  valid_days?: number | null
}

export interface CouponTemplatePatch {
  name?: string
  description?: string
  claimable?: boolean
  per_member_limit?: number
  status?: string
  total_quantity?: number
  unlimited?: boolean
}

export interface IssueInput {
  member_ids?: string[]
  level_id?: string
  tag_id?: string
}

export interface IssueResult {
  targeted: number
  issued: number
  skipped_limit: number
  skipped_quantity: number
}

// A background issue to a level or a tag, with its progress: total is the
// audience's size when asked (the number walked once done); targeted =
// issued + skipped_limit + skipped_quantity grows batch by batch.
export interface CouponIssue extends IssueResult {
  id: string
  template_id: string
  level_id: string | null
  tag_id: string | null
  status: 'queued' | 'running' | 'done' | 'failed' | (string & {})
  total: number
  error: string
  created_at: string
  updated_at: string
  finished_at: string | null
}

const id = encodeURIComponent

export function listMembers(q: MemberQuery = {}): Promise<Page<MemberSummary>> {
  return http.get('/admin/members', { ...T, query: { ...q } })
}
export function getMember(mid: string): Promise<MemberDetail> {
  return http.get(`/admin/members/${id(mid)}`, T)
}
export function updateMember(mid: string, patch: { status?: string; level_id?: string | null; tags?: string[] }): Promise<MemberDetail> {
  return http.patch(`/admin/members/${id(mid)}`, patch, T)
}
export function memberPoints(mid: string, p: PageParams = {}): Promise<PointsPage> {
  return http.get(`/admin/members/${id(mid)}/points`, { ...T, query: { ...p } })
}
export function adjustPoints(mid: string, points: number, reason: string): Promise<PointsEntry> {
  return http.post(`/admin/members/${id(mid)}/points`, { points, reason }, T)
}

export function listLevels(): Promise<MemberLevel[]> {
  return http.get('/admin/member-levels', T)
}
export function createLevel(input: MemberLevelInput): Promise<MemberLevel> {
  return http.post('/admin/member-levels', input, T)
}
export function updateLevel(lid: string, input: MemberLevelInput): Promise<MemberLevel> {
  return http.patch(`/admin/member-levels/${id(lid)}`, input, T)
}
export function deleteLevel(lid: string): Promise<void> {
  return http.del(`/admin/member-levels/${id(lid)}`, T)
}

export function listTags(): Promise<MemberTag[]> {
  return http.get('/admin/member-tags', T)
}

export function listCoupons(p: PageParams & { status?: string } = {}): Promise<Page<CouponTemplate>> {
  return http.get('/admin/coupons', { ...T, query: { ...p } })
}
export function createCoupon(input: CouponTemplateInput): Promise<CouponTemplate> {
  return http.post('/admin/coupons', input, T)
}
export function updateCoupon(cid: string, patch: CouponTemplatePatch): Promise<CouponTemplate> {
  return http.patch(`/admin/coupons/${id(cid)}`, patch, T)
}
export function disableCoupon(cid: string): Promise<void> {
  return http.del(`/admin/coupons/${id(cid)}`, T)
}
export function issueCoupon(cid: string, input: IssueInput): Promise<IssueResult> {
  return http.post(`/admin/coupons/${id(cid)}/issue`, input, T)
}
// A level or a tag is issued in the background (202 with the issue).
export function startCouponIssue(cid: string, input: IssueInput): Promise<CouponIssue> {
  return http.post(`/admin/coupons/${id(cid)}/issues`, input, T)
}
export function listCouponIssues(cid: string): Promise<CouponIssue[]> {
  return http.get(`/admin/coupons/${id(cid)}/issues`, T)
}
export function getCouponIssue(iid: string): Promise<CouponIssue> {
  return http.get(`/admin/coupon-issues/${id(iid)}`, T)
}

// --- shop plugins (enable/disable, config, priority)

export interface ShopPlugin {
  name: string
  kind: string
  version: string
  description: string
  state: string
  reason?: string
  enabled: boolean
  /** Secrets masked. */
  config: Record<string, unknown> | null
  priority: number
  config_schema: Record<string, unknown> | null
  campaign_schema?: Record<string, unknown> | null
  updated_at: string | null
}

export interface PluginSetting {
  enabled: boolean
  config: Record<string, unknown>
  priority?: number
}

export function listShopPlugins(): Promise<Page<ShopPlugin>> {
  return http.get('/admin/plugins', T)
}
export function putShopPlugin(name: string, s: PluginSetting): Promise<ShopPlugin> {
  return http.put(`/admin/plugins/${id(name)}`, s, T)
}

// --- promotion campaigns (config validated by the plugin's campaign schema)

export interface Campaign {
  id: string
  name: string
  description: string
  plugin: string
  config: Record<string, unknown> | null
  starts_at: string | null
  ends_at: string | null
  priority: number
  stacking_group: string
  exclusive: boolean
  usage_limit: number
  used_count: number
  status: 'draft' | 'active' | 'paused' | 'ended' | (string & {})
  created_at: string
  updated_at: string
}

export type CampaignInput = Omit<Campaign, 'id' | 'used_count' | 'created_at' | 'updated_at' | 'config'> & { config: Record<string, unknown> }

export function listCampaigns(p: PageParams & { status?: string } = {}): Promise<Page<Campaign>> {
  return http.get('/admin/promotions', { ...T, query: { ...p } })
}
export function createCampaign(input: CampaignInput): Promise<Campaign> {
  return http.post('/admin/promotions', input, T)
}
export function updateCampaign(cid: string, patch: Partial<CampaignInput>): Promise<Campaign> {
  return http.patch(`/admin/promotions/${id(cid)}`, patch, T)
}
export function deleteCampaign(cid: string): Promise<void> {
  return http.del(`/admin/promotions/${id(cid)}`, T)
}
