import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/http'
import { errorText, mapErrorToForm, normalizeField } from './problem'

const fallback = (code: string) => `text:${code}`

describe('mapErrorToForm', () => {
  it('puts each field error next to the form field of the same name and shows no toast', () => {
    const err = new ApiError(422, {
      code: 'validation_failed',
      detail: 'invalid input',
      errors: [
        { field: 'slug', code: 'taken', message: '标识已被占用' },
        { field: 'email', code: 'invalid', message: 'bad email' },
        { field: 'slug', code: 'second', message: 'ignored second' },
      ],
    })
    const m = mapErrorToForm(err, ['shop_name', 'slug', 'email', 'password'], fallback)
    expect(m.fieldErrors).toEqual({ slug: '标识已被占用', email: 'bad email' })
    expect(m.message).toBeNull()
  })

  it('shows errors for fields the form does not have in the toast', () => {
    const err = new ApiError(422, {
      code: 'validation_failed',
      detail: 'invalid input',
      errors: [
        { field: 'name', code: 'required', message: 'name is required' },
        { field: 'tenant_id', code: 'forbidden_field', message: 'may not be set' },
      ],
    })
    const m = mapErrorToForm(err, ['name'], fallback)
    expect(m.fieldErrors).toEqual({ name: 'name is required' })
    expect(m.message).toBe('tenant_id: may not be set')
  })

  it('shows detail when there are no field errors', () => {
    const err = new ApiError(403, { code: 'quota_exceeded', detail: 'plan allows 5 staff' })
    expect(mapErrorToForm(err, ['email'], fallback)).toEqual({ fieldErrors: {}, message: 'plan allows 5 staff' })
  })

  it('falls back to the code text when there is no detail', () => {
    const err = new ApiError(409, { code: 'conflict' })
    expect(mapErrorToForm(err, ['email'], fallback).message).toBe('text:conflict')
  })

  it('uses the code text for a field error without message', () => {
    const err = new ApiError(422, { code: 'validation_failed', errors: [{ field: 'email', code: 'required', message: '' }] })
    expect(mapErrorToForm(err, ['email'], fallback).fieldErrors).toEqual({ email: 'text:required' })
  })

  it('accepts JSON-pointer style field names', () => {
    expect(normalizeField('/plan/max_staff')).toBe('plan.max_staff')
    expect(normalizeField('$.name')).toBe('name')
    const err = new ApiError(422, { code: 'validation_failed', errors: [{ field: '/name', code: 'x', message: 'bad' }] })
    expect(mapErrorToForm(err, ['name'], fallback).fieldErrors).toEqual({ name: 'bad' })
  })

  it('handles non-API errors', () => {
    expect(mapErrorToForm(new Error('boom'), ['a'], fallback)).toEqual({ fieldErrors: {}, message: 'boom' })
  })
})

describe('errorText', () => {
  it('prefers detail, then field messages, then the code text', () => {
    expect(errorText(new ApiError(400, { code: 'validation_failed', detail: 'd' }), fallback)).toBe('d')
    expect(errorText(new ApiError(400, { code: 'validation_failed', errors: [{ field: 'a', code: 'c', message: 'm1' }] }), fallback)).toBe('m1')
    expect(errorText(new ApiError(503, { code: 'plugin_unavailable' }), fallback)).toBe('text:plugin_unavailable')
  })
})
