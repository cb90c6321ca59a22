// (a) A merchant signs up through the console, invites a staff member and sees
// the staff list; builds a category tree and a product with variants and its
// own distribution rates; uploads an image; sees a server field error next to
// the field; imports products from CSV (dry-run report of bad rows, then a
// live progress bar).
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { BASE, PNG_1PX, PORT, api, confirmBox, field, fill, launch, shot, toast, uniq } from './lib.js'

describe('merchant console', () => {
  let b
  let page
  const slug = uniq('e2e')
  const owner = { email: `owner-${slug}@example.com`, password: 'correct-horse-battery-9' }
  const code = uniq('P').toUpperCase()

  before(async () => {
    b = await launch()
    page = await b.page()
  })
  afterEach(async (t) => {
    await shot(page, `a-last-${t.name.replace(/\W+/g, '_').slice(0, 40)}`).catch(() => {})
  })
  after(async () => {
    await b?.close()
  })

  it('signs up a new shop', async () => {
    await page.goto(`${BASE}/admin/signup`)
    const inputs = page.locator('form input')
    await inputs.nth(0).fill(`E2E 商城 ${slug}`)
    await page.locator(field('slug')).fill(slug)
    await page.locator('form input[type=email]').fill(owner.email)
    await page.locator('form input[type=password]').fill(owner.password)
    await shot(page, 'a01-signup')
    await page.locator('form button[type=submit]').click()
    await page.waitForURL(/\/admin\/merchant\//)
    await page.locator('.el-menu').first().waitFor()
  })

  it('invites a staff member and lists them', async () => {
    const staff = `staff-${slug}@example.com`
    await page.goto(`${BASE}/admin/merchant/staff`)
    await page.locator('[data-test=invite]').click()
    const dlg = page.locator('.el-dialog:visible')
    await dlg.locator('input[type=email]').fill(staff)
    await dlg.locator('.el-dialog__footer .el-button--primary').click()
    const url = page.locator(field('invite-url'))
    await url.waitFor()
    assert.match(await url.inputValue(), /accept-invite/)
    await page.getByRole('button', { name: '关闭', exact: true }).click()
    await page.locator('.el-table__body', { hasText: staff }).waitFor()
    await page.locator('.el-table__body', { hasText: owner.email }).waitFor()
    await shot(page, 'a02-staff')
  })

  it('creates a category and a subcategory', async () => {
    await page.goto(`${BASE}/admin/merchant/categories`)
    await page.locator('[data-test=new-category]').click()
    await fill(page, '.el-dialog:visible [data-test=category-name]', '服装')
    await page.locator('.el-dialog:visible [data-test=save-category]').click()
    const row = page.locator('.el-table__row', { hasText: '服装' })
    await row.waitFor()
    await row.getByRole('button', { name: '添加子分类' }).click()
    await fill(page, '.el-dialog:visible [data-test=category-name]', 'T恤')
    await page.locator('.el-dialog:visible [data-test=save-category]').click()
    await page.locator('.el-table__row', { hasText: 'T恤' }).waitFor()
    await shot(page, 'a03-categories')
  })

  it('creates a product with a variant matrix and its own distribution rates', async () => {
    await page.goto(`${BASE}/admin/merchant/products`)
    await page.locator('[data-test=new-product]').click()
    await page.waitForURL(/\/products\/new$/)
    await fill(page, '[data-test=product-title]', '纯棉 T 恤')
    await fill(page, '[data-test=product-code]', code)
    // category: open the tree select and pick the subcategory
    await page.locator('[data-test=product-category]').first().click()
    await page.locator('.el-popper:visible .el-tree-node__content', { hasText: 'T恤' }).last().click()
    await page.keyboard.press('Escape')

    // two spec attributes → 2 × 2 SKUs
    for (const [name, values] of [
      ['颜色', ['红', '蓝']],
      ['尺码', ['S', 'M']],
    ]) {
      await page.locator('[data-test=add-spec]').click()
      await page.locator('[data-test=spec-row]').last().locator(field('spec-name')).first().fill(name)
      const input = page.locator('[data-test=spec-row]').last().locator(field('spec-values')).first()
      for (const v of values) {
        await input.fill(v)
        await input.press('Enter')
      }
    }
    const matrix = page.locator('[data-test=variant-matrix] .el-table__body .el-table__row')
    await page.waitForFunction(() => document.querySelectorAll('[data-test=variant-matrix] .el-table__body .el-table__row').length === 4)
    assert.equal(await matrix.count(), 4)
    assert.match(await page.locator(field('sku-code')).first().inputValue(), new RegExp(`^${code}-\\d+$`))

    // fill every row's price and stock at once
    await page.locator('.batch input').nth(0).fill('99.00')
    await page.locator('.batch input').nth(3).fill('10')
    await page.locator('.batch').getByRole('button', { name: '应用到全部' }).click()
    // one row gets an original price
    await page.locator('[data-test=variant-matrix] .el-table__row').nth(0).locator('input').nth(2).fill('129.00')

    await page.locator('[data-test=product-status]').getByText('在售').click()
    await page.locator('[data-test=dist-mode]').getByText('本商品单独设置比例').click()
    await page.locator('[data-test=add-rate]').click()
    await fill(page, '[data-test=dist-rate]', '10')
    await page.locator('[data-test=add-rate]').click()
    await page.locator(field('dist-rate')).nth(1).fill('5')
    await shot(page, 'a04-product-new')

    await page.locator('[data-test=save-product]').click()
    await page.waitForURL((u) => /\/products\/[^/]+$/.test(u.pathname) && !u.pathname.endsWith('/new'))
    await toast(page)

    // image upload (multipart), only once the product exists
    await page.locator('[data-test=image-upload] input[type=file]').setInputFiles({ name: 'tee.png', mimeType: 'image/png', buffer: PNG_1PX })
    await page.locator('.images .image .el-image').first().waitFor()
    await shot(page, 'a05-product-saved')

    // what was saved, as the API has it
    const id = new URL(page.url()).pathname.split('/').pop()
    const token = await page.evaluate(() => localStorage.getItem('banyan.token'))
    const p = await api('GET', `/api/v1/admin/products/${id}`, { token, tenant: slug })
    assert.equal(p.skus.length, 4)
    assert.deepEqual(p.skus.map((s) => s.spec_text).sort().length, 4)
    assert.ok(p.skus.every((s) => Number(s.stock) === 10 && /^99(\.0+)?$/.test(s.price)))
    assert.equal(p.status, 'on_sale')
    assert.equal(p.distribution.mode, 'override')
    assert.deepEqual(p.distribution.rates.map((r) => r.replace(/0+$/, '')), ['0.1', '0.05'])
    assert.equal(p.images.length, 1)
  })

  it('lists and finds the product', async () => {
    await page.goto(`${BASE}/admin/merchant/products`)
    await fill(page, '[data-test=product-search]', 'T 恤')
    await page.keyboard.press('Enter')
    const row = page.locator('[data-test=products-table] .el-table__row', { hasText: code })
    await row.waitFor()
    const text = await row.innerText()
    assert.match(text, /¥99\.00/)
    assert.match(text, /在售/)
    assert.match(text, /服装 \/ T恤/)
    await shot(page, 'a06-products')
  })

  it('shows a server field error next to the field', async () => {
    await page.goto(`${BASE}/admin/merchant/products/new`)
    await fill(page, '[data-test=product-title]', '重复编码')
    await fill(page, '[data-test=product-code]', code)
    await page.locator(field('sku-price')).first().fill('1')
    await page.locator(field('sku-code')).first().fill(uniq('S'))
    await page.locator('[data-test=save-product]').click()
    const err = page.locator('.el-form-item:has([data-test=product-code]) .el-form-item__error')
    await err.waitFor()
    assert.notEqual((await err.innerText()).trim(), '')
    assert.match(page.url(), /\/products\/new$/)
    await shot(page, 'a07-field-error')
  })

  it('imports products: dry-run report of bad rows, then progress to done', async () => {
    await page.goto(`${BASE}/admin/merchant/products/import`)
    const bad = ['product_code,title,sku_code,price,stock', `${code}X,坏行,${code}X-1,abc,1`, `${code}Y,好行,${code}Y-1,10.00,1`].join('\n')
    await page.locator('[data-test=import-upload] input[type=file]').setInputFiles({ name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) })
    await page.locator('[data-test=import-bad-rows] .el-table__row').first().waitFor()
    assert.equal(await page.locator('[data-test=import-start]').isDisabled(), true)
    await shot(page, 'a08-import-report')

    const rows = ['product_code,title,sku_code,price,stock']
    for (let i = 1; i <= 30; i++) rows.push(`${code}I${i},导入商品${i},${code}I${i}-1,${i}.50,${i}`)
    await page.locator('[data-test=import-upload] input[type=file]').setInputFiles({ name: 'good.csv', mimeType: 'text/csv', buffer: Buffer.from(rows.join('\n')) })
    await page.locator('[data-test=import-report]', { hasText: '30' }).waitFor()
    await page.locator('[data-test=import-start]').click()
    await page.locator('[data-test=import-progress]').waitFor()
    await page.locator('[data-test=import-progress]', { hasText: '100%' }).waitFor({ timeout: 60_000 })
    await shot(page, 'a09-import-done')
    await page.goto(`${BASE}/admin/merchant/products`)
    await fill(page, '[data-test=product-search]', '导入商品')
    await page.keyboard.press('Enter')
    await page.locator('[data-test=products-table] .el-table__row', { hasText: `${code}I1` }).first().waitFor()
  })

  it('opens every other merchant screen against the real API without an error', async () => {
    const errors = page.locator('.el-message--error')
    for (const [path, ready, name] of [
      ['dashboard', '.el-card', 'a10-dashboard'],
      ['orders', '.el-table', 'a11-orders'],
      ['members', '.el-table', 'a12-members'],
      ['member-levels', '.el-table', 'a13-member-levels'],
      ['coupons', '.el-table', 'a14-coupons'],
      ['promotions', '.el-table', 'a15-promotions'],
      ['distribution', '.el-tabs', 'a15-distribution'],
      ['plugins', '.el-table', 'a16-plugins'],
      ['finance', '.el-tabs', 'a18-finance'],
      ['after-sales', '.el-table', 'a20-after-sales'],
      // the shop's carriers, seeded with the usual ones on first use
      ['carriers', '[data-test="carriers"] .el-table__row', 'a21-carriers'],
      ['distribution/settings', '[data-test=depth]', 'a21-distribution-settings'],
      ['distribution/grades', '.el-table', 'a22-distributor-grades'],
      ['distribution/team', '.page-header .el-select', 'a23-distributor-team'],
      ['distribution/simulator', '[data-test=run-simulation]', 'a24-commission-simulator'],
      ['finance/reconciliation', '[data-test=rec-matched]', 'a25-reconciliation'],
      ['settings', '[data-test=banners]', 'a26-settings-banners'],
    ]) {
      await page.goto(`${BASE}/admin/merchant/${path}`)
      await page.locator(ready).first().waitFor()
      await page.waitForLoadState('networkidle')
      await shot(page, name)
      assert.equal(await errors.count(), 0, `error shown on ${path}: ${await errors.allInnerTexts()}`)
    }
  })

  it('uploads a home banner and the storefront home shows it', async () => {
    await page.goto(`${BASE}/admin/merchant/settings`)
    const card = page.locator('[data-test=banners]')
    await card.waitFor()
    await card.locator('[data-test=add-banner]').click()
    await card
      .locator('[data-test=banner-upload] input[type=file]')
      .last()
      .setInputFiles({ name: 'banner.png', mimeType: 'image/png', buffer: PNG_1PX })
    // The server answers the stored image's URL, which fills the image field.
    const img = card.locator('img.thumb').last()
    await img.waitFor()
    const src = await img.getAttribute('src')
    assert.match(src, /^\/uploads\/[0-9a-f-]+\/[0-9a-f]+\.png$/)
    await card.locator('[data-test=save-banners]').click()
    await toast(page, '已保存')
    await shot(page, 'a26b-banner-uploaded')
    const home = await b.page()
    try {
      await home.goto(`http://${slug}.localhost:${PORT}/`)
      const banner = home.locator(`img[src="${src}"]`)
      await banner.waitFor()
      assert.ok(await banner.getAttribute('width'), 'the banner image has its size set')
      await shot(home, 'a26c-storefront-banner')
    } finally {
      await home.close()
    }
  })

  it('saves distribution settings with depth 3, creates a grade and runs the simulator', async () => {
    await page.goto(`${BASE}/admin/merchant/distribution/settings`)
    const depth = page.locator('[data-test=depth]')
    await depth.waitFor()
    // The legal limit: only 1, 2 or 3 levels are offered.
    assert.equal(await depth.locator('.el-radio-button').count(), 3)
    // A server field error shows next to its field.
    const fee = page.locator('.el-form-item', { hasText: '手续费（%）' })
    await fee.locator('input').fill('25')
    await page.locator('[data-test=save-dist-settings]').click()
    await fee.locator('.el-form-item__error').waitFor()
    await shot(page, 'a27-distribution-settings-error')
    await fee.locator('input').fill('0.5')
    await depth.locator('.el-radio-button', { hasText: '3' }).click()
    await page.locator('[data-test=save-dist-settings]').click()
    await toast(page, '已保存')
    await page.reload()
    await depth.locator('.el-radio-button.is-active', { hasText: '3' }).waitFor()
    assert.equal(await fee.locator('input').inputValue(), '0.5')

    await page.goto(`${BASE}/admin/merchant/distribution/grades`)
    await page.locator('[data-test=new-grade]').click()
    await fill(page, '.el-dialog:visible [data-test=grade-name]', '金牌推广员')
    // Depth 3: three levels to set.
    await fill(page, '.el-dialog:visible [data-test=grade-rate-1]', '12')
    await fill(page, '.el-dialog:visible [data-test=grade-rate-2]', '6')
    await fill(page, '.el-dialog:visible [data-test=grade-rate-3]', '2.5')
    await page.locator('.el-dialog:visible [data-test=save-grade]').click()
    const grade = page.locator('.el-table__row', { hasText: '金牌推广员' })
    await grade.waitFor()
    assert.match(await grade.innerText(), /12%[\s\S]*6%[\s\S]*2\.5%/)
    await shot(page, 'a28-distributor-grade')

    await page.goto(`${BASE}/admin/merchant/distribution/simulator`)
    await page.locator('[data-test=run-simulation]').click()
    await page.locator('[data-test=sim-orders]').waitFor()
    assert.equal(await page.locator('.el-message--error').count(), 0)
    await shot(page, 'a29-commission-simulation')
    // Trying another config: a form from the plugin's schema, filled with
    // the shop's saved config.
    // the shop's saved config (here none: the plugin is not enabled). The
    // referenced "rates" ($ref in the schema) is a list control, not JSON.
    await page.locator('[data-test=sim-mode]').getByText('试用新配置').click()
    const trial = page.locator('[data-test=sim-config]')
    await trial.locator('.el-form').waitFor()
    // Required and empty: the form says so and nothing runs.
    const note = page.locator('[data-test=simulation-result] .muted').first()
    await page.locator('[data-test=run-simulation]').click()
    await trial.locator('.el-form-item__error').first().waitFor()
    const rates = trial.locator('.el-select').first()
    await rates.click()
    await page.keyboard.type('0.1')
    await page.keyboard.press('Enter')
    await trial.locator('.el-tag', { hasText: '0.1' }).waitFor()
    await page.keyboard.press('Escape')
    await page.locator('[data-test=run-simulation]').click()
    await note.waitFor()
    await page.waitForFunction(() => !document.querySelector('[data-test=sim-config] .el-form-item__error'))
    assert.equal(await page.locator('.el-message--error').count(), 0)
    await shot(page, 'a29b-commission-simulation-trial')
  })

  it('shows a trial balance that balances', async () => {
    await page.goto(`${BASE}/admin/merchant/finance`)
    await page.getByRole('tab', { name: '试算平衡' }).click()
    await page.locator('.el-alert--success').waitFor()
    await shot(page, 'a19-trial-balance')
  })

  it('creates a member level and a coupon', async () => {
    await page.goto(`${BASE}/admin/merchant/member-levels`)
    await page.locator('.page-header .el-button--primary').click()
    const dlg = page.locator('.el-dialog:visible')
    await dlg.locator('input').first().fill('黄金会员')
    await dlg.locator('.el-dialog__footer .el-button--primary').click()
    await page.locator('.el-table__row', { hasText: '黄金会员' }).waitFor()

    await page.goto(`${BASE}/admin/merchant/coupons`)
    await page.locator('[data-test=new-coupon]').click()
    const c = page.locator('.el-dialog:visible')
    await c.locator('input').first().fill('新人立减')
    await c.locator('.el-form-item', { hasText: '减免金额' }).locator('input').fill('10')
    await c.locator('.el-form-item', { hasText: '使用门槛' }).locator('input').fill('99')
    await c.locator('.el-dialog__footer .el-button--primary').click()
    const row = page.locator('.el-table__row', { hasText: '新人立减' })
    await row.waitFor()
    assert.match(await row.innerText(), /¥10\.00/)
    await shot(page, 'a17-coupons')
  })

  it('deletes a category only after confirming', async () => {
    await page.goto(`${BASE}/admin/merchant/categories`)
    await page.locator('[data-test=new-category]').click()
    await fill(page, '.el-dialog:visible [data-test=category-name]', '临时分类')
    await page.locator('.el-dialog:visible [data-test=save-category]').click()
    const row = page.locator('.el-table__row', { hasText: '临时分类' })
    await row.waitFor()
    await row.getByRole('button', { name: '删除' }).click()
    await confirmBox(page)
    await row.waitFor({ state: 'detached' })
  })
})
