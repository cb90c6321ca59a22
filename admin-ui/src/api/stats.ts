// Dashboard figures (merchant admin, X-Tenant). Amounts are decimal strings.
import { http } from './http'

const T = { tenant: true } as const

export interface OrderStats {
  from: string
  to: string
  time_zone: string
  by_state: { state: string; count: number; amount: string }[] | null
  by_day: { day: string; created: number; paid: number; gmv: string }[] | null
  created: number
  paid_orders: number
  gmv: string
  average_order_value: string
  paid_conversion: string
  refunded: string
  refund_rate: string
}

export interface DistributionStats {
  distributors_by_status: Record<string, number> | null
  distributors_by_grade: { grade_id: string | null; name: string | null; count: number }[] | null
  referred_orders: number
  referred_gmv: string
  commission_by_state: Record<string, string> | null
  leaderboard: { member_id: string; name: string; earned: string; orders: number }[] | null
  trend: { day: string; orders: number; gmv: string; commission: string }[] | null
}

export function orderStats(from: string, to: string): Promise<OrderStats> {
  return http.get('/admin/stats', { ...T, query: { from, to } })
}
export function distributionStats(days: number): Promise<DistributionStats> {
  return http.get('/admin/stats/distribution', { ...T, query: { days } })
}

export interface TopProducts {
  from: string
  to: string
  time_zone: string
  items: { product_id: string; title: string; image: string; quantity: number; amount: string; orders: number }[] | null
}
/** Best sellers over orders paid in [from, to), net of refunds. */
export function topProducts(from: string, to: string, limit = 10): Promise<TopProducts> {
  return http.get('/admin/stats/top-products', { ...T, query: { from, to, limit } })
}
