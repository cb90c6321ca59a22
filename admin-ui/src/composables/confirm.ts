import { ElMessageBox } from 'element-plus'
import { t } from '@/i18n'

/**
 * Asks before a destructive action; true when the user confirmed.
 *   if (!(await confirmDanger(t('x.deleteConfirm', { name }), t('common.delete')))) return
 */
export async function confirmDanger(message: string, action: string): Promise<boolean> {
  try {
    await ElMessageBox.confirm(message, action, {
      type: 'warning',
      confirmButtonText: action,
      cancelButtonText: t('common.cancel'),
      confirmButtonClass: 'el-button--danger',
    })
    return true
  } catch {
    return false
  }
}
