// Low-level HTTP client for the Banyan API (/api/v1).
//
// Every non-2xx answer is turned into an ApiError parsed from the RFC 9457
// problem+json body: {type, title, status, code, detail, request_id, errors?}.

export interface FieldErrorItem {
  field: string
  code: string
  message: string
}

export interface Problem {
  type?: string
  title?: string
  status?: number
  code?: string
  detail?: string
  request_id?: string
  errors?: FieldErrorItem[]
}

/** Stable error codes the server answers with (not exhaustive). */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'quota_exceeded'
  | 'tenant_suspended'
  | 'rate_limited'
  | 'plugin_unavailable'
  | 'token_expired'
  | 'locked_out'
  | 'malformed_json'
  | 'unknown_field'
  | 'body_too_large'
  | 'unsupported_media_type'
  | 'invalid_state'
  | 'idempotency_key_reused'
  | 'insufficient_stock'
  | 'quote_changed'
  | 'internal'
  | 'network_error'
  | 'unknown'

export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly title: string
  readonly detail: string
  readonly type: string
  readonly requestId: string
  /** errors[] as given by the server, in order. */
  readonly errors: FieldErrorItem[]
  /** field name → first message for that field. */
  readonly fieldErrors: Record<string, string>
  /** Set when the client already reacted (e.g. 401 → login); callers need not show it again. */
  handled = false

  constructor(status: number, problem: Problem) {
    const title = problem.title ?? ''
    const detail = problem.detail ?? ''
    super(detail || title || `HTTP ${status}`)
    this.name = 'ApiError'
    this.status = status
    this.code = problem.code || codeForStatus(status)
    this.title = title
    this.detail = detail
    this.type = problem.type ?? 'about:blank'
    this.requestId = problem.request_id ?? ''
    this.errors = Array.isArray(problem.errors) ? problem.errors.filter(isFieldError) : []
    const fe: Record<string, string> = {}
    for (const e of this.errors) {
      if (!(e.field in fe)) fe[e.field] = e.message || e.code
    }
    this.fieldErrors = fe
  }
}

function isFieldError(e: unknown): e is FieldErrorItem {
  return typeof e === 'object' && e !== null && typeof (e as FieldErrorItem).field === 'string'
}

/** Fallback code when a (non-problem) error body carries none. */
export function codeForStatus(status: number): string {
  switch (status) {
    case 0:
      return 'network_error'
    case 400:
    case 422:
      return 'validation_failed'
    case 401:
      return 'unauthenticated'
    case 403:
      return 'forbidden'
    case 404:
      return 'not_found'
    case 409:
      return 'conflict'
    case 429:
      return 'rate_limited'
    default:
      return 'unknown'
  }
}

/**
 * Builds an ApiError from an HTTP status and the raw response text.
 * Accepts problem+json, plain JSON with the same fields, or anything else
 * (kept as detail when short).
 */
export function parseProblem(status: number, text: string, contentType = ''): ApiError {
  let problem: Problem = {}
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed)
      if (parsed && typeof parsed === 'object') problem = parsed as Problem
    } catch {
      /* not JSON after all */
    }
  } else if (trimmed && !contentType.includes('html') && trimmed.length <= 500) {
    problem = { detail: trimmed }
  }
  return new ApiError(status, problem)
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError
}

// ---------------------------------------------------------------------------

export interface ClientHooks {
  /** Bearer token of the signed-in staff user, if any. */
  token(): string | null
  /** Slug of the selected shop, sent as X-Tenant on tenant-scoped calls. */
  tenant(): string | null
  /** UI language, sent as Accept-Language. */
  language(): string
  /** Called on a 401 from a call made with a token (session expired/revoked). */
  onUnauthorized(err: ApiError): void
}

const hooks: ClientHooks = {
  token: () => null,
  tenant: () => null,
  language: () => 'zh-CN',
  onUnauthorized: () => {},
}

export function configureClient(h: Partial<ClientHooks>): void {
  Object.assign(hooks, h)
}

export const API_BASE = '/api/v1'

export type Query = Record<string, string | number | boolean | null | undefined>

export interface RequestOptions {
  query?: Query
  body?: unknown
  /** Send X-Tenant with the selected shop (merchant admin endpoints). */
  tenant?: boolean | string
  /** Do not treat a 401 as "session over" (login, wrong current password, ...). */
  noAuthRedirect?: boolean
  signal?: AbortSignal
  /** Injected for tests; defaults to globalThis.fetch. */
  fetch?: typeof fetch
}

export function buildUrl(path: string, query?: Query): string {
  let url = API_BASE + path
  if (query) {
    const qs = new URLSearchParams()
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined || v === null || v === '') continue
      qs.set(k, String(v))
    }
    const s = qs.toString()
    if (s) url += (url.includes('?') ? '&' : '?') + s
  }
  return url
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json, application/problem+json' }
  const token = hooks.token()
  if (token) headers.Authorization = `Bearer ${token}`
  if (opts.tenant) {
    const slug = typeof opts.tenant === 'string' ? opts.tenant : hooks.tenant()
    if (slug) headers['X-Tenant'] = slug
  }
  headers['Accept-Language'] = hooks.language()
  let body: string | FormData | undefined
  if (typeof FormData !== 'undefined' && opts.body instanceof FormData) {
    body = opts.body // multipart: the browser sets Content-Type with the boundary
  } else if (opts.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(opts.body)
  }
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis)
  let res: Response
  try {
    res = await doFetch(buildUrl(path, opts.query), { method, headers, body, signal: opts.signal })
  } catch (e) {
    if ((e as Error)?.name === 'AbortError') throw e
    throw new ApiError(0, { code: 'network_error', detail: (e as Error)?.message ?? '' })
  }
  if (res.status === 204 || res.status === 205) return undefined as T
  const text = await res.text()
  if (!res.ok) {
    const err = parseProblem(res.status, text, res.headers.get('Content-Type') ?? '')
    if (res.status === 401 && token && !opts.noAuthRedirect) {
      err.handled = true
      hooks.onUnauthorized(err)
    }
    throw err
  }
  if (!text) return undefined as T
  try {
    return JSON.parse(text) as T
  } catch {
    throw new ApiError(res.status, { code: 'unknown', detail: 'invalid JSON in response' })
  }
}

export const http = {
  get: <T>(path: string, opts?: RequestOptions) => request<T>('GET', path, opts),
  post: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('POST', path, { ...opts, body }),
  patch: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PATCH', path, { ...opts, body }),
  put: <T>(path: string, body?: unknown, opts?: RequestOptions) => request<T>('PUT', path, { ...opts, body }),
  del: <T = void>(path: string, opts?: RequestOptions) => request<T>('DELETE', path, opts),
}

/**
 * Downloads a file from an authenticated endpoint (e.g. an export) and saves
 * it under the server's file name (Content-Disposition) or `fallbackName`.
 */
export async function download(path: string, fallbackName: string, opts: RequestOptions = {}): Promise<void> {
  const headers: Record<string, string> = { 'Accept-Language': hooks.language() }
  const token = hooks.token()
  if (token) headers.Authorization = `Bearer ${token}`
  if (opts.tenant) {
    const slug = typeof opts.tenant === 'string' ? opts.tenant : hooks.tenant()
    if (slug) headers['X-Tenant'] = slug
  }
  const doFetch = opts.fetch ?? globalThis.fetch.bind(globalThis)
  let res: Response
  try {
    res = await doFetch(buildUrl(path, opts.query), { headers, signal: opts.signal })
  } catch (e) {
    throw new ApiError(0, { code: 'network_error', detail: (e as Error)?.message ?? '' })
  }
  if (!res.ok) {
    const err = parseProblem(res.status, await res.text(), res.headers.get('Content-Type') ?? '')
    if (res.status === 401 && token) {
      err.handled = true
      hooks.onUnauthorized(err)
    }
    throw err
  }
  const blob = await res.blob()
  const cd = res.headers.get('Content-Disposition') ?? ''
  const name = /filename="?([^";]+)"?/.exec(cd)?.[1] ?? fallbackName
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}

/** A page of a cursor-paginated list. `next_cursor` is empty when there is no more. */
export interface Page<T> {
  items: T[]
  next_cursor: string
}

export interface PageParams {
  cursor?: string
  limit?: number
}
