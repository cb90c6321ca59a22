// Finance (merchant admin, X-Tenant): fund flow (journal), reports, trial balance. Amounts are decimal strings.
import { download, http, type Page, type PageParams } from './http'

const T = { tenant: true } as const

export interface JournalLine {
  entry_id: string
  line_no: number
  kind: string
  ref: string
  order_id: string | null
  member_id: string | null
  memo: string
  account: string
  party: string
  debit: string
  credit: string
  created_at: string
}
export interface TrialRow {
  account: string
  name_zh: string
  name_en: string
  type: string
  debit: string
  credit: string
  balance: string
  normal_side: string
}
export interface TrialBalance {
  accounts: TrialRow[] | null
  total_debit: string
  total_credit: string
  difference: string
}
export interface ReportRow {
  period: string
  sales: string
  shipping: string
  refunds: string
  commission: string
  fees: string
  platform_fees: string
  profit: string
}
export interface FinanceReport {
  from: string
  to: string
  group: string
  timezone: string
  rows: ReportRow[] | null
  total: ReportRow
}
export interface JournalQuery extends PageParams {
  type?: string
  account?: string
  member?: string
  order?: string
  from?: string
  to?: string
}

export const journal = (q: JournalQuery = {}): Promise<Page<JournalLine>> => http.get('/admin/finance/journal', { ...T, query: { ...q } })
export function exportJournal(q: JournalQuery, format: 'csv' | 'xlsx'): Promise<void> {
  const { cursor: _c, limit: _l, ...rest } = q
  return download('/admin/finance/journal', `journal.${format}`, { ...T, query: { ...rest, format } })
}
export const trialBalance = (): Promise<TrialBalance> => http.get('/admin/finance/trial-balance', T)
export const reports = (from: string, to: string, group: string): Promise<FinanceReport> => http.get('/admin/finance/reports', { ...T, query: { from, to, group } })

export interface PartyTotals {
  frozen: string
  available: string
}
/** GET /admin/finance/reconciliation: ledger vs distribution's own totals per distributor. */
export interface Reconciliation {
  checked_at: string
  distributors: number
  trial_balance_zero: boolean
  differences: { member_id: string; ledger: PartyTotals; derived: PartyTotals }[] | null
  ok: boolean
  derived_available: boolean
}
export const reconciliation = (): Promise<Reconciliation> => http.get('/admin/finance/reconciliation', T)
