// Orders (merchant admin, X-Tenant).
import { download, http, type Page, type PageParams } from './http'

const T = { tenant: true } as const
const id = encodeURIComponent

export type OrderState = 'pending_payment' | 'paid' | 'shipped' | 'completed' | 'cancelled'
export const ORDER_STATES: OrderState[] = ['pending_payment', 'paid', 'shipped', 'completed', 'cancelled']

export interface OrderLine {
  id: string
  sku_id: string
  product_id: string
  title: string
  sku_code: string
  spec: string
  image: string
  qty: number
  unit_price: string
  amount: string
  level_discount: string
  promotion_discount: string
  coupon_discount: string
  points_discount: string
  paid_amount: string
  refunded_amount: string
  refunded_qty: number
}

export interface OrderEvent {
  kind: string
  from_state: string
  to_state: string
  actor: string
  actor_id: string
  note: string
  at: string
}

export interface Parcel {
  id: string
  /** The carrier's code. */
  carrier: string
  /** The shop's name for the carrier (its code when the carrier was deleted). */
  carrier_name?: string
  tracking_no: string
  /** The carrier's tracking page for this parcel, when it has a template. */
  tracking_url?: string
  line_ids: string[] | null
  shipped_at: string
  tracking: { at: string; status: string; description: string; location?: string }[] | null
}

export interface Order {
  id: string
  order_no: string
  member_id: string
  state: OrderState | (string & {})
  currency: string
  goods_amount: string
  level_discount: string
  promotion_discount: string
  coupon_discount: string
  points_amount: string
  shipping_fee: string
  total: string
  paid_amount: string
  refunded_amount: string
  points_used: number
  address: Record<string, string> | null
  referrer_id: string | null
  remark: string
  merchant_remark?: string
  created_at: string
  paid_at: string | null
  shipped_at: string | null
  completed_at: string | null
  cancelled_at: string | null
  cancel_reason?: string
  lines: OrderLine[] | null
  events?: OrderEvent[] | null
  parcels?: Parcel[] | null
  refunds?: Refund[] | null
}

export interface OrderQuery extends PageParams {
  state?: string
  from?: string
  to?: string
  q?: string
  min_amount?: string
  max_amount?: string
  member_id?: string
  distributor_id?: string
}

export function listOrders(q: OrderQuery = {}): Promise<Page<Order>> {
  return http.get('/admin/orders', { ...T, query: { ...q } })
}
export function getOrder(oid: string): Promise<Order> {
  return http.get(`/admin/orders/${id(oid)}`, T)
}
export function shipOrder(oid: string, parcels: { carrier: string; tracking_no: string; line_ids?: string[] }[]): Promise<Order> {
  return http.post(`/admin/orders/${id(oid)}/ship`, { parcels }, T)
}
export function remarkOrder(oid: string, merchant_remark: string): Promise<Order> {
  return http.patch(`/admin/orders/${id(oid)}`, { merchant_remark }, T)
}
/** Downloads the orders matching q (the list's filters) as CSV or XLSX. */
export function exportOrders(q: OrderQuery, format: 'csv' | 'xlsx' = 'csv'): Promise<void> {
  const { cursor: _c, limit: _l, ...rest } = q
  return download('/admin/orders/export', `orders.${format}`, { ...T, query: { ...rest, format } })
}

export interface AfterSale {
  id: string
  order_id: string
  member_id: string
  kind: 'refund_only' | 'return_and_refund' | (string & {})
  state: 'requested' | 'approved' | 'returning' | 'received' | 'refunding' | 'refunded' | 'rejected' | (string & {})
  reason: string
  photos: string[] | null
  lines: unknown
  amount: string
  reject_reason?: string
  return_carrier?: string
  return_tracking?: string
  refund_id: string | null
  created_at: string
  updated_at: string
}

export type AfterSaleAction = 'approve' | 'reject' | 'receive-return' | 'refund'

/** A refund is pending until the provider answers (or staff settle it by hand); failed posts nothing. */
export type RefundStatus = 'pending' | 'succeeded' | 'failed'
export interface Refund {
  id: string
  order_id: string
  amount: string
  status: RefundStatus | (string & {})
  reason: string
  provider_ref?: string
  message?: string
  created_at: string
  settled_at?: string | null
}
/** A refund in the shop's list; overdue: pending for more than an hour (it needs a person). */
export interface RefundListItem extends Refund {
  order_no: string
  provider: string
  overdue: boolean
}
export function listRefunds(q: PageParams & { status?: RefundStatus; overdue?: boolean } = {}): Promise<Page<RefundListItem>> {
  return http.get('/admin/refunds', { ...T, query: { ...q } })
}
export function settleRefund(rid: string, body: { status: 'succeeded' | 'failed'; message?: string }): Promise<Refund> {
  return http.post(`/admin/refunds/${id(rid)}/settle`, body, T)
}

export function listAfterSales(q: PageParams & { state?: string } = {}): Promise<Page<AfterSale>> {
  return http.get('/admin/after-sales', { ...T, query: { ...q } })
}
export function afterSaleAction(aid: string, action: AfterSaleAction, body: { reason?: string; restock?: boolean } = {}): Promise<AfterSale> {
  return http.post(`/admin/after-sales/${id(aid)}/${action}`, body, T)
}
