import { ref, shallowRef, type Ref } from 'vue'
import type { Page, PageParams } from '@/api/http'
import { notifyError } from './useFormErrors'

/**
 * A cursor-paginated list with "load more":
 *   const list = useCursorList((p) => merchantApi.listStaff(p))
 *   onMounted(list.reload)
 */
export function useCursorList<T>(fetchPage: (p: PageParams) => Promise<Page<T>>, limit = 20) {
  const items = shallowRef<T[]>([]) as Ref<T[]>
  const nextCursor = ref('')
  const loading = ref(false)
  const loaded = ref(false)
  let generation = 0

  async function load(cursor: string) {
    const gen = ++generation
    loading.value = true
    try {
      const page = await fetchPage({ cursor: cursor || undefined, limit })
      if (gen !== generation) return // a newer load (e.g. new filter) won
      items.value = cursor ? [...items.value, ...(page.items ?? [])] : (page.items ?? [])
      nextCursor.value = page.next_cursor ?? ''
      loaded.value = true
    } catch (e) {
      if (gen === generation) notifyError(e)
    } finally {
      if (gen === generation) loading.value = false
    }
  }

  return {
    items,
    nextCursor,
    loading,
    loaded,
    reload: () => load(''),
    loadMore: () => (nextCursor.value ? load(nextCursor.value) : Promise.resolve()),
    /** Replace one item in place (after an update). */
    replace(pred: (x: T) => boolean, next: T) {
      items.value = items.value.map((x) => (pred(x) ? next : x))
    },
    remove(pred: (x: T) => boolean) {
      items.value = items.value.filter((x) => !pred(x))
    },
  }
}
