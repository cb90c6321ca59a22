// Catalogue endpoints (merchant admin, X-Tenant): categories, products, images, import/export, jobs.
import { download, http, type Page, type PageParams } from './http'
import type { ImportJob, ImportReport } from '@/utils/importFlow'
import type { SpecAttr } from '@/utils/variants'

export type { ImportJob, ImportReport, RowError } from '@/utils/importFlow'
export type { SpecAttr } from '@/utils/variants'

const T = { tenant: true } as const

export type ProductStatus = 'draft' | 'on_sale' | 'off_shelf'
export const PRODUCT_STATUSES: ProductStatus[] = ['draft', 'on_sale', 'off_shelf']
export type DistributionMode = 'default' | 'override' | 'none'

export interface Category {
  id: string
  parent_id: string | null
  name: string
  depth: number
  sort: number
  created_at: string
  updated_at: string
  children: Category[] | null
}

export interface CategoryInput {
  parent_id?: string | null
  name: string
  sort?: number
}

export interface CategoryPatch {
  name?: string
  sort?: number
  /** "" moves to the top. */
  parent_id?: string
}

export interface Distribution {
  mode: DistributionMode | (string & {})
  /** Decimal rates of levels 1..n ("0.10" = 10%), override only. */
  rates?: string[]
}

export interface Sku {
  id: string
  product_id: string
  code: string
  spec: Record<string, string> | null
  spec_text: string
  price: string
  original_price: string | null
  cost?: string | null
  stock: number
  weight: string | null
  image: string
}

export interface Product {
  id: string
  code: string
  category_id: string | null
  title: string
  subtitle: string
  description: string
  brand: string
  tags: string[] | null
  images: string[] | null
  status: ProductStatus | (string & {})
  specs: SpecAttr[] | null
  distribution: Distribution
  points_price: number | null
  sales_count: number
  min_price: string
  max_price: string
  skus: Sku[] | null
  created_at: string
  updated_at: string
}

export interface SkuInput {
  id?: string
  code: string
  spec: Record<string, string>
  price: string | null
  original_price: string | null
  cost: string | null
  stock: number
  weight: string | null
  image?: string
}

export interface ProductInput {
  code: string
  category_id: string | null
  title: string
  subtitle: string
  description: string
  brand: string
  tags: string[]
  images: string[]
  status: ProductStatus | string
  specs: SpecAttr[]
  skus: SkuInput[]
  distribution: Distribution | null
  points_price: number | null
}

export type ProductPatch = Partial<ProductInput>

export interface ProductCard {
  id: string
  code: string
  title: string
  subtitle: string
  image: string
  category_id: string | null
  brand: string
  tags: string[] | null
  status: ProductStatus | (string & {})
  min_price: string
  max_price: string
  stock: number
  points_price: number | null
  sales_count: number
  created_at: string
}

export interface Facet {
  category_id: string
  parent_id: string | null
  name: string
  count: number
}

export interface ProductSearch extends Page<ProductCard> {
  facets?: Facet[]
}

export interface ProductQuery extends PageParams {
  q?: string
  category_id?: string
  /** Comma-separated statuses. */
  status?: string
  min_price?: string
  max_price?: string
  in_stock?: boolean
  sort?: string
  facets?: boolean
}

export interface BulkInput {
  sku_codes?: string[]
  product_ids?: string[]
  price?: string
  stock?: number
  stock_delta?: number
  status?: ProductStatus
}

// --- categories

export function categoryTree(): Promise<{ items: Category[] | null }> {
  return http.get('/admin/categories', T)
}
export function createCategory(input: CategoryInput): Promise<Category> {
  return http.post('/admin/categories', input, T)
}
export function updateCategory(id: string, patch: CategoryPatch): Promise<Category> {
  return http.patch(`/admin/categories/${encodeURIComponent(id)}`, patch, T)
}
export function deleteCategory(id: string): Promise<void> {
  return http.del(`/admin/categories/${encodeURIComponent(id)}`, T)
}

// --- products

export function listProducts(q: ProductQuery = {}): Promise<ProductSearch> {
  return http.get('/admin/products', { ...T, query: { ...q } })
}
export function getProduct(id: string): Promise<Product> {
  return http.get(`/admin/products/${encodeURIComponent(id)}`, T)
}
export function createProduct(input: ProductInput): Promise<Product> {
  return http.post('/admin/products', input, T)
}
export function updateProduct(id: string, patch: ProductPatch): Promise<Product> {
  return http.patch(`/admin/products/${encodeURIComponent(id)}`, patch, T)
}
export function deleteProduct(id: string): Promise<void> {
  return http.del(`/admin/products/${encodeURIComponent(id)}`, T)
}
/** Multipart upload (field file); answers the product with the image appended. */
export function uploadProductImage(id: string, file: Blob, name = 'image'): Promise<Product> {
  const fd = new FormData()
  fd.append('file', file, name)
  return http.post(`/admin/products/${encodeURIComponent(id)}/images`, fd, T)
}
export function bulkProducts(input: BulkInput): Promise<{ skus: number; products: number }> {
  return http.post('/admin/products/bulk', input, T)
}

// --- import / export / jobs

export function checkImport(file: Blob, name: string): Promise<ImportReport> {
  const fd = new FormData()
  fd.append('file', file, name)
  fd.append('dry_run', 'true')
  return http.post('/admin/products/import', fd, T)
}
export function startImport(file: Blob, name: string): Promise<ImportJob> {
  const fd = new FormData()
  fd.append('file', file, name)
  return http.post('/admin/products/import', fd, T)
}
export function getImport(id: string): Promise<ImportJob> {
  return http.get(`/admin/products/import/${encodeURIComponent(id)}`, T)
}
export function exportProducts(format: 'csv' | 'xlsx'): Promise<void> {
  return download('/admin/products/export', `catalog.${format}`, { ...T, query: { format } })
}
export function listJobs(p: PageParams = {}): Promise<Page<ImportJob>> {
  return http.get('/admin/jobs', { ...T, query: { ...p } })
}
