// Maps an API error onto a form: field errors go next to the form item whose
// prop equals `field`; whatever has no field on the form becomes a message.
import { ApiError } from '@/api/http'

export interface FormErrorMapping {
  /** form field → message, only for fields the form has. */
  fieldErrors: Record<string, string>
  /** Text for a toast, or null when everything was shown next to a field. */
  message: string | null
}

/** "/name", "$.name", "body.name" → "name"; "/plan/max_staff" → "plan.max_staff". */
export function normalizeField(field: string): string {
  let f = field.trim()
  if (f.startsWith('$.')) f = f.slice(2)
  if (f.startsWith('/')) f = f.slice(1).replace(/\//g, '.')
  if (f.startsWith('body.')) f = f.slice(5)
  return f
}

/**
 * @param err        anything thrown by an API call
 * @param formFields names of the form's fields (ElFormItem props)
 * @param fallback   turns a code into a human text when the server sent no detail
 */
export function mapErrorToForm(
  err: unknown,
  formFields: readonly string[],
  fallback: (code: string) => string = (c) => c,
): FormErrorMapping {
  if (!(err instanceof ApiError)) {
    const msg = err instanceof Error ? err.message : String(err)
    return { fieldErrors: {}, message: msg || fallback('unknown') }
  }
  const known = new Set(formFields)
  const fieldErrors: Record<string, string> = {}
  const unmatched: string[] = []
  for (const e of err.errors) {
    const f = normalizeField(e.field)
    const text = e.message || fallback(e.code)
    if (known.has(f)) {
      if (!(f in fieldErrors)) fieldErrors[f] = text
    } else {
      unmatched.push(e.field ? `${e.field}: ${text}` : text)
    }
  }
  let message: string | null = null
  if (unmatched.length > 0) {
    message = unmatched.join('; ')
  } else if (Object.keys(fieldErrors).length === 0) {
    message = err.detail || fallback(err.code) || err.title || err.message
  }
  return { fieldErrors, message }
}

/** One-line text for a toast from any error. */
export function errorText(err: unknown, fallback: (code: string) => string = (c) => c): string {
  if (err instanceof ApiError) {
    if (err.detail) return err.detail
    if (err.errors.length) return err.errors.map((e) => e.message || fallback(e.code)).join('; ')
    return fallback(err.code) || err.title || err.message
  }
  return err instanceof Error ? err.message : String(err)
}
