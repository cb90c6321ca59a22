import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError, buildUrl, configureClient, parseProblem, request } from './http'

function res(status: number, body: unknown, contentType = 'application/problem+json'): Response {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  return new Response(status === 204 ? null : text, { status, headers: { 'Content-Type': contentType } })
}

async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p
  } catch (e) {
    return e as ApiError
  }
  throw new Error('expected the request to fail')
}

describe('parseProblem', () => {
  it('parses problem+json with field errors into a typed ApiError', () => {
    const err = parseProblem(
      422,
      JSON.stringify({
        type: 'https://banyan.dev/problems/validation',
        title: 'Validation failed',
        status: 422,
        code: 'validation_failed',
        detail: 'the request has invalid fields',
        request_id: 'req-1',
        errors: [
          { field: 'slug', code: 'taken', message: 'slug is taken' },
          { field: 'password', code: 'too_short', message: 'at least 10 characters' },
          { field: 'slug', code: 'other', message: 'second slug error' },
        ],
      }),
    )
    expect(err).toBeInstanceOf(ApiError)
    expect(err.status).toBe(422)
    expect(err.code).toBe('validation_failed')
    expect(err.detail).toBe('the request has invalid fields')
    expect(err.requestId).toBe('req-1')
    expect(err.fieldErrors).toEqual({ slug: 'slug is taken', password: 'at least 10 characters' })
    expect(err.errors).toHaveLength(3)
    expect(err.message).toBe('the request has invalid fields')
  })

  it('falls back to a code derived from the status for non-problem bodies', () => {
    expect(parseProblem(404, '').code).toBe('not_found')
    expect(parseProblem(409, 'duplicate', 'text/plain').detail).toBe('duplicate')
    expect(parseProblem(502, '<html>bad gateway</html>', 'text/html').detail).toBe('')
    expect(parseProblem(500, '{broken').code).toBe('unknown')
    expect(parseProblem(429, '{}').code).toBe('rate_limited')
  })

  it('ignores malformed errors entries', () => {
    const err = parseProblem(400, JSON.stringify({ code: 'validation_failed', errors: [null, 3, { code: 'x' }, { field: 'a', code: 'c', message: '' }] }))
    expect(err.errors).toHaveLength(1)
    expect(err.fieldErrors).toEqual({ a: 'c' })
  })
})

describe('buildUrl', () => {
  it('skips empty query values', () => {
    expect(buildUrl('/platform/tenants', { q: 'tea shop', status: '', cursor: undefined, limit: 20 })).toBe('/api/v1/platform/tenants?q=tea+shop&limit=20')
    expect(buildUrl('/auth/me')).toBe('/api/v1/auth/me')
  })
})

describe('request', () => {
  afterEach(() => configureClient({ token: () => null, tenant: () => null, onUnauthorized: () => {} }))

  it('sends the bearer token, X-Tenant only on tenant calls, and JSON bodies', async () => {
    configureClient({ token: () => 'tok', tenant: () => 'tea-shop', language: () => 'en' })
    const fetch = vi.fn(async () => res(200, { ok: true }, 'application/json'))
    await request('POST', '/admin/staff', { tenant: true, body: { email: 'a@b.c', role: 'support' }, fetch })
    await request('GET', '/platform/plans', { fetch })
    const [url1, init1] = fetch.mock.calls[0] as unknown as [string, RequestInit]
    const h1 = init1.headers as Record<string, string>
    expect(url1).toBe('/api/v1/admin/staff')
    expect(h1.Authorization).toBe('Bearer tok')
    expect(h1['X-Tenant']).toBe('tea-shop')
    expect(h1['Content-Type']).toBe('application/json')
    expect(h1['Accept-Language']).toBe('en')
    expect(init1.body).toBe('{"email":"a@b.c","role":"support"}')
    const h2 = (fetch.mock.calls[1] as unknown as [string, RequestInit])[1].headers as Record<string, string>
    expect(h2['X-Tenant']).toBeUndefined()
  })

  it('returns undefined for 204', async () => {
    const fetch = vi.fn(async () => res(204, ''))
    await expect(request('DELETE', '/admin/staff/u1', { fetch })).resolves.toBeUndefined()
  })

  it('calls onUnauthorized on a 401 of an authenticated call, but not when told not to', async () => {
    const onUnauthorized = vi.fn()
    configureClient({ token: () => 'tok', onUnauthorized })
    const fetch = vi.fn(async () => res(401, { code: 'unauthenticated', title: 'Unauthorized', status: 401 }))
    const e1 = await failure(request('GET', '/auth/me', { fetch }))
    expect(e1).toBeInstanceOf(ApiError)
    expect(e1.handled).toBe(true)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
    const e2 = await failure(request('POST', '/auth/password', { fetch, noAuthRedirect: true }))
    expect(e2.handled).toBe(false)
    expect(onUnauthorized).toHaveBeenCalledTimes(1)
  })

  it('turns a network failure into network_error', async () => {
    const fetch = vi.fn(async () => {
      throw new TypeError('Failed to fetch')
    })
    const e = await failure(request('GET', '/auth/me', { fetch }))
    expect(e).toBeInstanceOf(ApiError)
    expect(e.status).toBe(0)
    expect(e.code).toBe('network_error')
  })
})
