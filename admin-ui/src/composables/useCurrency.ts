import { ref, watch } from 'vue'
import { getSettings } from '@/api/merchant'
import { useSessionStore } from '@/stores/session'

// The shop's currency (one per tenant), loaded once per selected shop.
const cache = new Map<string, string>()
const current = ref('CNY')

export function useCurrency() {
  const session = useSessionStore()
  watch(
    () => session.currentTenant?.slug,
    async (slug) => {
      if (!slug) return
      const hit = cache.get(slug)
      if (hit) {
        current.value = hit
        return
      }
      try {
        const s = await getSettings()
        cache.set(slug, s.currency || 'CNY')
        if (session.currentTenant?.slug === slug) current.value = s.currency || 'CNY'
      } catch {
        /* keep the default; settings may be forbidden to this role */
      }
    },
    { immediate: true },
  )
  return current
}
