// Shared helpers of the end-to-end tests: the browser, pages, API calls.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

export const BASE = process.env.E2E_BASE_URL ?? 'http://localhost:8080'
export const PORT = process.env.E2E_PORT ?? new URL(BASE).port
export const OPERATOR = {
  email: process.env.E2E_OPERATOR_EMAIL ?? 'ops@example.com',
  password: process.env.E2E_OPERATOR_PASSWORD ?? '',
}
const here = path.dirname(fileURLToPath(import.meta.url))
export const OUTPUT = path.resolve(here, '..', 'output')
mkdirSync(OUTPUT, { recursive: true })

/** Unique short suffix for slugs, emails, codes. */
export function uniq(prefix = '') {
  return prefix + Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36)
}

/** Launches Debian's Chromium with a fresh profile; returns { browser, close }. */
export async function launch() {
  const profile = mkdtempSync(path.join(tmpdir(), 'banyan-e2e-chrome-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1440, height: 900 },
    locale: 'zh-CN',
  })
  context.setDefaultTimeout(15_000)
  return {
    context,
    async page() {
      const p = await context.newPage()
      p.on('pageerror', (e) => console.error('[page error]', e.message))
      return p
    },
    async close() {
      await context.close().catch(() => {})
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(OUTPUT, `${name}.png`), fullPage: true })
}

/** JSON call against the API (outside the browser). */
export async function api(method, p, { body, token, tenant, host } = {}) {
  const headers = { Accept: 'application/json' }
  if (body !== undefined) headers['Content-Type'] = 'application/json'
  if (token) headers.Authorization = `Bearer ${token}`
  if (tenant) headers['X-Tenant'] = tenant
  const base = host ? `http://${host}:${PORT}` : BASE
  const res = await fetch(base + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  const text = await res.text()
  let json = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    /* not JSON */
  }
  if (!res.ok) {
    const err = new Error(`${method} ${p} → ${res.status}: ${text.slice(0, 300)}`)
    err.status = res.status
    err.body = json
    throw err
  }
  return json
}

/** Types into the el-input whose wrapper or input matches `sel`. */
export async function fill(page, sel, value) {
  const loc = page.locator(sel)
  const input = (await loc.evaluate((el) => el.tagName === 'INPUT' || el.tagName === 'TEXTAREA')) ? loc : loc.locator('input, textarea').first()
  await input.fill(value)
}

/** Clicks the confirm button of the open ElMessageBox. */
export async function confirmBox(page) {
  const box = page.locator('.el-message-box').last()
  await box.waitFor()
  await box.locator('.el-message-box__btns button').last().click()
  await box.waitFor({ state: 'hidden' })
}

/** Waits for a success toast containing text (or any). */
export async function toast(page, text) {
  const loc = text ? page.locator('.el-message--success', { hasText: text }) : page.locator('.el-message--success')
  await loc.first().waitFor()
}

/** A 1×1 PNG. */
export const PNG_1PX = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)

/** CSS for the <input> of an element with data-test=name (Element Plus puts attrs on the input itself for el-input, on the wrapper elsewhere). */
export const field = (name) => `input[data-test=${name}], textarea[data-test=${name}], [data-test=${name}] input`
