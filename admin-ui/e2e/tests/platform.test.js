// (b) The platform console: an operator logs in, searches tenants, suspends
// one (the shop then answers 403) and resumes it, views plans and plugins.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { BASE, OPERATOR, api, confirmBox, field, launch, shot, uniq } from './lib.js'

describe('platform console', () => {
  let b
  let page
  const slug = uniq('plat')

  before(async () => {
    assert.ok(OPERATOR.password, 'E2E_OPERATOR_PASSWORD must be set (run.sh creates the operator)')
    // A shop to act on, signed up through the API.
    await api('POST', '/api/v1/signup', {
      body: { shop_name: `平台测试 ${slug}`, slug, email: `owner-${slug}@example.com`, password: 'correct-horse-battery-9' },
    })
    b = await launch()
    page = await b.page()
  })
  after(async () => {
    await b?.close()
  })

  it('logs in as an operator', async () => {
    await page.goto(`${BASE}/admin/login`)
    await page.locator('form input[type=email]').fill(OPERATOR.email)
    await page.locator('form input[type=password]').fill(OPERATOR.password)
    await page.locator('form button[type=submit]').click()
    await page.waitForURL(/\/admin\/platform\//)
  })

  it('searches tenants', async () => {
    await page.goto(`${BASE}/admin/platform/tenants`)
    await page.locator(field('tenant-search')).fill(slug)
    await page.keyboard.press('Enter')
    const row = page.locator('.el-table__body .el-table__row', { hasText: slug })
    await row.waitFor()
    await page.waitForFunction((s) => [...document.querySelectorAll('.el-table__body .el-table__row')].every((r) => r.textContent.includes(s)), slug)
    await shot(page, 'b01-tenants')
  })

  it('suspends and resumes a tenant', async () => {
        await api('GET', '/api/v1/shop/products', { tenant: slug }) // the shop is open

    await page.locator('.el-table__body .el-table__row', { hasText: slug }).click()
    await page.locator('[data-test=suspend]').click()
    const box = page.locator('.el-message-box')
    await box.locator('textarea').fill('e2e：违规内容核查')
    await box.locator('.el-message-box__btns button').last().click()
    await page.locator('[data-test=resume]').waitFor()
    await shot(page, 'b02-suspended')
    await assert.rejects(api('GET', '/api/v1/shop/products', { tenant: slug }), (e) => e.status === 403)

    await page.locator('[data-test=resume]').click()
    await confirmBox(page)
    await page.locator('[data-test=suspend]').waitFor()
    await api('GET', '/api/v1/shop/products', { tenant: slug })
    await shot(page, 'b03-resumed')
  })

  it('views plans and plugins', async () => {
    await page.goto(`${BASE}/admin/platform/plans`)
    await page.locator('.el-table__body .el-table__row').first().waitFor()
    await shot(page, 'b04-plans')
    await page.goto(`${BASE}/admin/platform/plugins`)
    await page.locator('.el-table').first().waitFor()
    await page.waitForFunction(() => !document.querySelector('.el-table .el-loading-mask'))
    const listed = await api('GET', '/api/v1/platform/plugins', { token: await page.evaluate(() => localStorage.getItem('banyan.token')) }).catch(() => null)
    const n = listed?.items?.length ?? (Array.isArray(listed) ? listed.length : 0)
    if (n > 0) await page.locator('[data-test=plugin-state]').first().waitFor()
    await shot(page, 'b05-plugins')
  })

  it('views the platform reports', async () => {
    await page.goto(`${BASE}/admin/platform/reports`)
    await page.locator('.el-table').first().waitFor()
    await page.waitForLoadState('networkidle')
    assert.equal(await page.locator('.el-message--error').count(), 0)
    await shot(page, 'b06-reports')
  })
})
