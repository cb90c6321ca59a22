// Distribution (merchant admin, X-Tenant): applications, distributors, commissions, withdrawals.
import { http, type Page, type PageParams } from './http'

const T = { tenant: true } as const
const id = encodeURIComponent

export interface Distributor {
  member_id: string
  status: 'pending' | 'active' | 'rejected' | 'disabled' | (string & {})
  code: string
  link: string
  real_name: string
  phone: string
  reason: string
  reject_reason: string
  grade_id: string | null
  grade_name: string | null
  source: string
  applied_at: string
  reviewed_at: string | null
  approved_at: string | null
}

export interface Commission {
  id: string
  order_id: string
  order_no: string
  line_id: string
  buyer_id: string
  beneficiary_id: string
  level: number
  base: string
  rate: string
  amount: string
  refunded: string
  net: string
  status: string
  plugin: string
}

export interface Withdrawal {
  id: string
  member_id: string
  amount: string
  fee: string
  net: string
  channel: string
  account_name: string
  account_no: string
  status: 'requested' | 'approved' | 'paid' | 'rejected' | 'failed' | (string & {})
  needs_second_approval: boolean
  first_approver: string | null
  second_approver: string | null
  reject_reason: string
  payout_ref: string
  failure: string
  created_at: string
  updated_at: string
}

type Q = PageParams & { status?: string; member_id?: string }

export const listApplications = (q: Q = {}): Promise<Page<Distributor>> => http.get('/admin/distributor-applications', { ...T, query: { ...q } })
export const approveApplication = (mid: string): Promise<Distributor> => http.post(`/admin/distributor-applications/${id(mid)}/approve`, undefined, T)
export const rejectApplication = (mid: string, reason: string): Promise<Distributor> => http.post(`/admin/distributor-applications/${id(mid)}/reject`, { reason }, T)
export const listDistributors = (q: Q = {}): Promise<Page<Distributor>> => http.get('/admin/distributors', { ...T, query: { ...q } })
export const disableDistributor = (mid: string): Promise<Distributor> => http.post(`/admin/distributors/${id(mid)}/disable`, undefined, T)
export const enableDistributor = (mid: string): Promise<Distributor> => http.post(`/admin/distributors/${id(mid)}/enable`, undefined, T)
export const listCommissions = (q: Q = {}): Promise<Page<Commission>> => http.get('/admin/commissions', { ...T, query: { ...q } })
export const listWithdrawals = (q: Q = {}): Promise<Page<Withdrawal>> => http.get('/admin/withdrawals', { ...T, query: { ...q } })
export const approveWithdrawal = (wid: string): Promise<Withdrawal> => http.post(`/admin/withdrawals/${id(wid)}/approve`, undefined, T)
export const rejectWithdrawal = (wid: string, reason: string): Promise<Withdrawal> => http.post(`/admin/withdrawals/${id(wid)}/reject`, { reason }, T)
export const markWithdrawalPaid = (wid: string, reference: string): Promise<Withdrawal> => http.post(`/admin/withdrawals/${id(wid)}/mark-paid`, { reference }, T)

// --- settings, grades, team tree, simulator (issue 7 screens)

/** GET/PUT /admin/distribution-settings. Money fields are decimal strings. */
export interface DistributionSettings {
  enabled: boolean
  eligibility: 'anyone' | 'after_first_purchase' | 'after_spending' | 'application' | 'designated' | (string & {})
  spending_threshold: string
  binding_mode: 'first_visit' | 'registration' | 'first_order' | (string & {})
  lock_days: number
  rebind_policy: 'permanent' | 'for_days' | 'latest_link_wins' | (string & {})
  rebind_days: number
  depth: number
  commission_base: string
  self_purchase: boolean
  freeze_days: number
  settlement_cycle: 'daily' | 'weekly' | (string & {})
  withdrawal_min: string
  withdrawal_fee_fixed: string
  withdrawal_fee_percent: string
  withdrawal_daily_limit: string
  channels: string[] | null
  auto_approve_below: string
  second_approver_above: string
  payment_plugin: string
  commission_plugin: string
}

export interface Grade {
  id: string
  name: string
  rank: number
  /** Fractions per level, index 0 = level 1. */
  rates: string[] | null
  min_team_size: number
  min_referred_sales: string
}
export type GradeInput = Omit<Grade, 'id' | 'rates'> & { rates: string[] }

export interface TeamNode {
  member_id: string
  name: string
  /** 1 = referred by the distributor directly. */
  level: number
  referrer_id: string
  bound_at: string
  is_distributor: boolean
  /** Members this one referred, within the shop's depth. */
  children: number
}

export interface DistributorOverview {
  distributor: Distributor
  balances: Record<string, string>
  team: { depth: number; total: number; levels: { level: number; count: number }[] | null }
}

export interface SimulationInput {
  plugin: string
  config?: unknown
  from: string
  to: string
}
export interface Simulation {
  plugin: string
  orders: number
  distributors: { member_id: string; would_earn: string; paid: string; difference: string; commissions: number }[] | null
  would_earn: string
  paid: string
  difference: string
  note: string
}

export const getSettings = (): Promise<DistributionSettings> => http.get('/admin/distribution-settings', T)
export const putSettings = (s: DistributionSettings): Promise<DistributionSettings> => http.put('/admin/distribution-settings', s, T)
export const listGrades = (): Promise<Grade[] | null> => http.get('/admin/distributor-grades', T)
export const createGrade = (g: GradeInput): Promise<Grade> => http.post('/admin/distributor-grades', g, T)
export const updateGrade = (gid: string, g: GradeInput): Promise<Grade> => http.put(`/admin/distributor-grades/${id(gid)}`, g, T)
export const deleteGrade = (gid: string): Promise<void> => http.del(`/admin/distributor-grades/${id(gid)}`, T)
export const getDistributor = (mid: string): Promise<DistributorOverview> => http.get(`/admin/distributors/${id(mid)}`, T)
export const teamChildren = (mid: string, q: PageParams & { parent?: string } = {}): Promise<Page<TeamNode>> =>
  http.get(`/admin/distributors/${id(mid)}/team`, { ...T, query: { ...q } })
export const simulate = (input: SimulationInput): Promise<Simulation> => http.post('/admin/commissions/simulations', input, T)
