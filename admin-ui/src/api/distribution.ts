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
