import { describe, expect, it, vi } from 'vitest'
import { mount, flushPromises } from '@vue/test-utils'
import ElementPlus from 'element-plus'
import { createI18n } from 'vue-i18n'
import zhCN from '@/locales/zh-CN'
import en from '@/locales/en'
import SchemaForm from './SchemaForm.vue'
import type { JSONSchema } from './schema-form/schema'

const schema: JSONSchema = {
  type: 'object',
  required: ['title', 'depth'],
  properties: {
    title: { type: 'string', title: 'Title', minLength: 2 },
    depth: { type: 'integer', title: 'Depth', minimum: 1, maximum: 3, default: 2 },
    enabled: { type: 'boolean', title: 'Enabled', default: true },
    mode: { type: 'string', title: 'Mode', enum: ['a', 'b'] },
    tags: { type: 'array', title: 'Tags', items: { type: 'string' } },
    limits: {
      type: 'object',
      title: 'Limits',
      required: ['max'],
      properties: { max: { type: 'number', title: 'Max' } },
    },
  },
}

// ElFormItem shows its message debounced (100 ms): wait for it.
async function errorText(w: ReturnType<typeof mountForm>, path: string): Promise<string> {
  return vi.waitFor(
    () => {
      const el = w.find(`[data-path="${path}"] .el-form-item__error`)
      if (!el.exists()) throw new Error(`no error shown for ${path}`)
      return el.text()
    },
    { timeout: 2000, interval: 20 },
  )
}

function mountForm(props: Record<string, unknown> = {}) {
  const i18n = createI18n({ legacy: false, locale: 'en', messages: { 'zh-CN': zhCN, en } })
  return mount(SchemaForm, {
    props: { schema, ...props },
    global: { plugins: [ElementPlus, i18n] },
    attachTo: document.body,
  })
}

describe('SchemaForm', () => {
  it('renders one control per field, nested objects as fieldsets', () => {
    const w = mountForm()
    const paths = w.findAll('[data-path]').map((x) => x.attributes('data-path'))
    expect(paths).toEqual(['title', 'depth', 'enabled', 'mode', 'tags', 'limits', 'limits.max'])
    expect(w.find('[data-path="title"] input').exists()).toBe(true)
    expect(w.find('[data-path="depth"] .el-input-number').exists()).toBe(true)
    expect(w.find('[data-path="enabled"] .el-switch').exists()).toBe(true)
    expect(w.find('[data-path="mode"] .el-select').exists()).toBe(true)
    expect(w.find('fieldset[data-path="limits"] legend').text()).toContain('Limits')
    w.unmount()
  })

  it('emits the defaults, then the edited value', async () => {
    const w = mountForm()
    expect(w.emitted('update:modelValue')![0]).toEqual([{ depth: 2, enabled: true }])
    await w.find('[data-path="title"] input').setValue('Hello')
    await flushPromises()
    const last = w.emitted('update:modelValue')!.at(-1)![0]
    expect(last).toEqual({ title: 'Hello', depth: 2, enabled: true })
    w.unmount()
  })

  it('validate() shows messages next to invalid fields and returns false', async () => {
    const w = mountForm()
    const vm = w.vm as unknown as { validate(): boolean; value(): Record<string, unknown> }
    expect(vm.validate()).toBe(false)
    await flushPromises()
    expect(w.find('[data-path="title"]').classes()).toContain('is-error')
    expect(await errorText(w, 'title')).toBe('Required')
    expect(await errorText(w, 'limits.max')).toBe('Required')
    expect(w.find('[data-path="depth"]').classes()).not.toContain('is-error')

    await w.find('[data-path="title"] input').setValue('x')
    await flushPromises()
    await vi.waitFor(() => expect(w.find('[data-path="title"] .el-form-item__error').text()).toBe('At least 2 characters'), { timeout: 2000 })
    w.unmount()
  })

  it('starts from a given value and becomes valid', async () => {
    const w = mountForm({ modelValue: { title: 'Hi', depth: 3, limits: { max: 10 }, extra: 'kept' } })
    const vm = w.vm as unknown as { validate(): boolean; value(): Record<string, unknown> }
    expect(vm.validate()).toBe(true)
    expect(vm.value()).toEqual({ title: 'Hi', depth: 3, enabled: true, limits: { max: 10 }, extra: 'kept' })
    await flushPromises()
    expect(w.find('.el-form-item.is-error').exists()).toBe(false)
    w.unmount()
  })
})
