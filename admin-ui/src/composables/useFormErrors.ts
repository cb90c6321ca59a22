import { reactive } from 'vue'
import { ElMessage } from 'element-plus'
import { isApiError } from '@/api/http'
import { t, te } from '@/i18n'
import { errorText, mapErrorToForm } from '@/utils/problem'

/** Human text for an error code, translated when we know it. */
export function codeText(code: string): string {
  const key = `errors.codes.${code}`
  return te(key) ? t(key) : t('errors.codes.unknown')
}

/** Shows any error in a toast (used outside forms). 401s are handled by the client hook. */
export function notifyError(err: unknown): void {
  if (isApiError(err) && err.handled) return // e.g. session over: already redirected to login
  ElMessage.error({ message: errorText(err, codeText), grouping: true })
}

/**
 * Server-side validation errors for one form.
 *
 *   const fe = useFormErrors(['email', 'role'])
 *   <el-form-item prop="email" :error="fe.errors.email">
 *   try { ... } catch (e) { fe.handle(e) }
 */
export function useFormErrors<F extends string>(fields: readonly F[]) {
  const errors = reactive<Record<string, string>>({}) as Record<F, string>
  function clear() {
    for (const f of fields) errors[f] = ''
  }
  clear()
  function handle(err: unknown): void {
    clear()
    const mapped = mapErrorToForm(err, fields, codeText)
    // ElFormItem only shows a changed `error`; set after clear() in the next tick.
    queueMicrotask(() => Object.assign(errors, mapped.fieldErrors))
    if (mapped.message && !(isApiError(err) && err.handled)) {
      ElMessage.error({ message: mapped.message, grouping: true })
    }
  }
  return { errors, clear, handle }
}
