// Loads a product's form settings (name, validity periods, quantity bounds, feature-code pattern):
// from the block the worker inlined into the page when it is for this product, else GET /api/config.
import { inject, shallowRef, watch } from 'vue'
import type { Ref } from 'vue'
import { ApiError, getConfig } from './api.ts'
import type { ProductConfig } from './api.ts'
import { INLINED_CONFIG, inlinedFor } from './inlined-config.ts'

/** `product`: an id, null for the worker's default product, undefined for "not known yet". */
export function useConfig(product: Ref<string | null | undefined>) {
  const config = shallowRef<ProductConfig | null>(null)
  const error = shallowRef<ApiError | null>(null)
  const loading = shallowRef(false)
  const inlined = inject(INLINED_CONFIG, null)

  async function load() {
    if (product.value === undefined) return
    // Synchronous, so the first render (and the hydration of the pre-rendered form) has it.
    const given = error.value ? null : inlinedFor(inlined, product.value)
    if (given) {
      config.value = given
      return
    }
    loading.value = true
    error.value = null
    try {
      config.value = await getConfig(product.value)
    } catch (e) {
      error.value = e instanceof ApiError ? e : new ApiError(0, 'UNEXPECTED', null)
    } finally {
      loading.value = false
    }
  }

  watch(product, load, { immediate: true })
  return { config, error, loading, reload: load }
}
