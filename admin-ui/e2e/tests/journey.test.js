// (c) The whole journey of issue 7 in a real browser: a new customer follows
// a distributor's /r/{code} link on the shop's storefront, registers, claims
// a coupon, adds a variant to the (server-side) cart, checks out with the
// coupon and pays on the sandbox pay page; the merchant ships in the admin
// UI; the customer confirms receipt; the distributor sees the commission
// frozen, then available after settlement (BANYAN_SETTLE_EVERY, short in
// run.sh), and asks for a withdrawal; the merchant approves it and marks it
// paid; the distributor sees it paid.
//
// The shop's set-up (plugins, settings, product, coupon, the distributor)
// goes through the HTTP API for speed: merchant.test.js covers those screens.
//
// The numbers: 99.00 a unit × 2 = 198.00; coupon 满100减20 → −20.00;
// shipping flat 8.00 → total 186.00. Commission: 10% of what was paid for
// the line without shipping (178.00) = 17.80, frozen until the order
// completes (freeze_days 0, after-sales 0 days), then available; withdrawn
// in full without a fee.
import assert from 'node:assert/strict'
import { after, afterEach, before, describe, it } from 'node:test'
import { BASE, PORT, api, confirmBox, launch, shot, toast, uniq } from './lib.js'

const PASSWORD = 'correct-horse-battery-9'

describe('issue-7 journey: referral → order → commission → withdrawal', () => {
  const slug = uniq('j')
  const shop = `http://${slug}.localhost:${PORT}`
  const owner = { email: `owner-${slug}@example.com`, token: '' }
  const customer = { email: `buyer-${slug}@example.com` }
  const dist = { email: `dist-${slug}@example.com`, token: '', code: '' }
  let product
  let orderID = ''
  let b
  let page // the storefront (customer and distributor, one after the other)
  let admin // the merchant console

  const as = (token) => ({ token, tenant: slug })
  const text = async (sel) => (await page.locator(sel).innerText()).replace(/\s+/g, ' ').trim()

  before(async () => {
    const s = await api('POST', '/api/v1/signup', {
      body: { shop_name: `旅程商城 ${slug}`, slug, email: owner.email, password: PASSWORD },
    })
    owner.token = s.token
    const o = as(owner.token)
    await api('PUT', '/api/v1/admin/plugins/payment-sandbox', { ...o, body: { enabled: true, config: { webhook_secret: `e2e-${slug}-0123456789` } } })
    await api('PUT', '/api/v1/admin/plugins/commission-tiered', { ...o, body: { enabled: true, config: { rates: ['0.10'] } } })
    await api('PATCH', '/api/v1/admin/settings/orders', { ...o, body: { after_sales_days: 0, shipping_flat: '8.00' } })
    const st = await api('GET', '/api/v1/admin/distribution-settings', o)
    await api('PUT', '/api/v1/admin/distribution-settings', {
      ...o,
      body: {
        ...st,
        enabled: true,
        eligibility: 'application',
        binding_mode: 'registration',
        depth: 1,
        self_purchase: false,
        freeze_days: 0,
        settlement_cycle: 'daily',
        withdrawal_min: '10',
        withdrawal_fee_fixed: '0',
        withdrawal_fee_percent: '0',
        auto_approve_below: '0',
        second_approver_above: '0',
        channels: ['alipay', 'wechat', 'bank'],
      },
    })
    // A level the customer reaches with this order (spend ≥ 100).
    await api('POST', '/api/v1/admin/member-levels', { ...o, body: { name: '银卡会员', rank: 1, threshold_kind: 'spend', threshold: '100' } })
    product = await api('POST', '/api/v1/admin/products', {
      ...o,
      body: {
        title: '旅程 T 恤',
        status: 'on_sale',
        specs: [
          { name: '颜色', values: ['红', '蓝'] },
          { name: '尺码', values: ['S', 'M'] },
        ],
        variants: { code_prefix: uniq('JT').toUpperCase(), price: '99.00', stock: 10 },
        distribution: { mode: 'override', rates: ['0.10'] },
      },
    })
    assert.equal(product.skus.length, 4)
    await api('POST', '/api/v1/admin/coupons', { ...o, body: { name: '满100减20', kind: 'fixed', amount: '20', min_spend: '100', valid_days: 30, claimable: true } })

    // The distributor: registers, applies, the merchant approves.
    const d = await api('POST', '/api/v1/shop/register', { tenant: slug, body: { email: dist.email, password: PASSWORD, name: '分销员小王' } })
    dist.token = d.token
    await api('POST', '/api/v1/shop/distributor', { ...as(dist.token), body: { real_name: '王五', phone: '13900139000', reason: '朋友圈分享' } })
    await api('POST', `/api/v1/admin/distributor-applications/${d.member.id}/approve`, o)
    const mine = await api('GET', '/api/v1/shop/distributor', as(dist.token))
    assert.equal(mine.distributor.status, 'active')
    dist.code = mine.distributor.code

    b = await launch()
    page = await b.page()
    admin = await b.page()
    page.on('dialog', (dlg) => dlg.accept())
  })
  afterEach(async (t) => {
    await shot(page, `c-last-${t.name.replace(/\W+/g, '_').slice(0, 40)}`).catch(() => {})
  })
  after(async () => {
    await b?.close()
  })

  /** Logs into the storefront with email + password, landing on next. */
  async function storefrontLogin(email, next) {
    await page.goto(`${shop}/login?next=${encodeURIComponent(next)}`)
    await page.getByRole('button', { name: 'Email' }).click()
    await page.locator('#emailform input[name=email]').fill(email)
    await page.locator('#emailform input[name=password]').fill(PASSWORD)
    await page.locator('#emailform button:not([type=button])').click()
    await page.waitForURL((u) => u.pathname === next)
  }

  /** Reloads the page until an element sel has text matching re (the server's jobs run in the background). */
  async function until(sel, re, what) {
    const deadline = Date.now() + 45_000
    for (;;) {
      try {
        await page.locator(sel, { hasText: re }).first().waitFor({ timeout: 3_000 })
        return
      } catch (e) {
        if (Date.now() > deadline) assert.fail(`${what}: ${sel} never matched ${re}: ${await page.locator(sel).first().innerText()}`)
      }
      await page.reload()
    }
  }

  it('a visitor follows the referral link and registers', async () => {
    await page.goto(`${shop}/r/${dist.code}`)
    await page.waitForURL(`${shop}/`)
    await shot(page, 'c01-referral-landing')
    await page.goto(`${shop}/login?next=/me`)
    await page.getByRole('button', { name: 'Email' }).click()
    await page.locator('#emailform input[name=email]').fill(customer.email)
    await page.locator('#emailform input[name=password]').fill(PASSWORD)
    await page.locator('#register').click()
    await page.waitForURL(`${shop}/me`)
    await page.locator('#level', { hasText: '普通会员' }).waitFor()
    assert.match(await text('#profile'), new RegExp(customer.email))
    // bound to the distributor at registration
    const team = await api('GET', '/api/v1/shop/distributor/team', as(dist.token))
    assert.equal(team.members.length, 1)
  })

  it('claims the coupon in the member centre', async () => {
    const row = page.locator('#claimable .claimable', { hasText: '满100减20' })
    await row.waitFor()
    assert.match(await row.innerText(), /¥20\.00 \(≥¥100\.00\)/)
    await row.getByRole('button', { name: '领取' }).click()
    await page.locator('#coupons .coupon', { hasText: '满100减20' }).waitFor()
    await page.locator('#ncoupons', { hasText: '1' }).waitFor()
    await shot(page, 'c02-member-centre-coupon')
  })

  it('adds a variant to the server-side cart', async () => {
    await page.goto(`${shop}/p/${product.id}`)
    // the page preselects the first SKU in stock (红/S); choose 蓝 and M
    for (const v of ['蓝', 'M']) {
      const btn = page.locator(`#specs button[data-value=${v}]`)
      if (!(await btn.getAttribute('class'))?.includes('on')) await btn.click()
      await page.locator(`#specs button.on[data-value=${v}]`).waitFor()
    }
    await page.locator('#price', { hasText: '99.00' }).waitFor()
    await page.locator('#qty').fill('2')
    await page.locator('button[value=cart]').click()
    await page.locator('button[value=cart]', { hasText: '✓' }).waitFor()
    await page.locator('#cartn', { hasText: '(2)' }).waitFor()
    await shot(page, 'c03-product')
    // The cart is the server's: the member's cart holds 2 of 蓝/M.
    const { token } = await page.evaluate(() => ({ token: localStorage.getItem('banyan_token') }))
    const cart = await api('GET', '/api/v1/shop/cart', as(token))
    const sku = product.skus.find((s) => s.spec.颜色 === '蓝' && s.spec.尺码 === 'M')
    assert.deepEqual(
      cart.lines.map((l) => [l.sku_id, l.qty, l.valid]),
      [[sku.id, 2, true]],
    )

    // A second variant goes in too and is unticked: it stays out of the
    // total and of checkout, and stays in the cart after ordering.
    const other = product.skus.find((s) => s.spec.颜色 === '红' && s.spec.尺码 === 'S')
    await api('POST', '/api/v1/shop/cart', { ...as(token), body: { sku_id: other.id, qty: 1 } })
    await page.goto(`${shop}/cart`)
    await page.locator('#lines tr.line').nth(1).waitFor()
    assert.match(await text('#lines'), /旅程 T 恤 .*蓝.*M/)
    assert.equal(await text('#total'), `¥${(198 + Number(other.price)).toFixed(2)}`)
    await page.locator(`#lines tr[data-sku="${other.id}"] input.pick`).uncheck()
    await page.locator('#total', { hasText: '¥198.00' }).waitFor()
    await shot(page, 'c04-cart')
  })

  it('checks out with the coupon and pays on the sandbox page', async () => {
    await page.locator('#tocheckout').click()
    await page.waitForURL(`${shop}/checkout`)
    await page.locator('#newaddr[open]').waitFor()
    const f = page.locator('#addrform')
    for (const [k, v] of Object.entries({ name: '李雷', phone: '13800138000', province: '浙江省', city: '杭州市', district: '西湖区', detail: '文三路 1 号' })) {
      await f.locator(`input[name=${k}]`).fill(v)
    }
    await f.locator('button').click()
    await page.locator('#addr input[type=radio]:checked').waitFor()
    await page.locator('#quote table').waitFor()
    assert.doesNotMatch(await text('#quote'), /优惠券/)
    await page.locator('#coupon').selectOption({ label: '满100减20 (≥100.00)' })
    await page.locator('#quote', { hasText: '优惠券' }).waitFor()
    const q = await text('#quote')
    assert.match(q, /商品金额 198\.00/)
    assert.match(q, /Coupon 优惠券 −20\.00/)
    assert.match(q, /运费 8\.00/)
    assert.match(q, /实付 186\.00/)
    assert.equal(await text('.buybar #total'), '¥186.00')
    await shot(page, 'c05-checkout-quote')

    await page.locator('#place').click()
    await page.waitForURL(/\/sandbox\/pay\//)
    assert.match(await page.locator('body').innerText(), /186\.00 CNY/)
    await shot(page, 'c06-sandbox-pay')
    await page.getByRole('button', { name: 'Approve' }).click()
    await page.waitForURL(/\/me\/orders\/[^/]+$/)
    orderID = new URL(page.url()).pathname.split('/').pop()
    await until('#order', /待发货 Paid/, 'the order paid')
    assert.match(await text('#order'), /实付 ¥186\.00/)
    await shot(page, 'c07-order-paid')
    // the cart no longer holds what was ordered, only the unticked line
    await page.waitForFunction(() => document.querySelector('#cartn')?.textContent === '(1)')
  })

  it('the distributor sees the commission frozen', async () => {
    await storefrontLogin(dist.email, '/distributor')
    // the commission job runs in the background once the order is paid
    await until('#comm', /frozen/, 'the commission')
    assert.match(await text('#dist'), /17\.80 Frozen 待结算 0\.00 Available 可提现 0\.00 Withdrawn 已提现/)
    assert.match(await text('#comm'), /L1 · frozen 17\.80/)
    await shot(page, 'c08-distributor-frozen')
  })

  it('the merchant ships the order in the admin UI', async () => {
    await admin.goto(`${BASE}/admin/login`)
    await admin.locator('form input[type=email]').fill(owner.email)
    await admin.locator('form input[type=password]').fill(PASSWORD)
    await admin.locator('form button[type=submit]').click()
    await admin.waitForURL(/\/admin\/merchant\//)
    const o = await api('GET', `/api/v1/admin/orders/${orderID}`, as(owner.token))
    assert.equal(o.state, 'paid')
    assert.equal(Number(o.coupon_discount).toFixed(2), '20.00')
    await admin.goto(`${BASE}/admin/merchant/orders`)
    await admin.locator('.el-table__row', { hasText: o.order_no }).click()
    await admin.locator('[data-test=ship]').click()
    const dlg = admin.locator('.el-dialog:visible')
    await dlg.locator('[data-test=carrier]').first().click()
    await admin.locator('.el-select-dropdown__item:visible', { hasText: /^顺丰/ }).first().click()
    await dlg.locator('input[data-test=tracking-no], [data-test=tracking-no] input').first().fill('SF1234567890')
    await shot(admin, 'c09-admin-ship')
    await dlg.locator('[data-test=ship-confirm]').click()
    await toast(admin)
    await admin.locator('.el-drawer', { hasText: 'SF1234567890' }).waitFor()
    await shot(admin, 'c10-admin-shipped')
    const shipped = await api('GET', `/api/v1/admin/orders/${orderID}`, as(owner.token))
    assert.equal(shipped.state, 'shipped')
    assert.equal(shipped.parcels[0].tracking_no, 'SF1234567890')
  })

  it('the customer confirms receipt', async () => {
    await storefrontLogin(customer.email, `/me/orders/${orderID}`)
    await until('#order', /待收货 Shipped/, 'the order shipped')
    assert.match(await text('#order'), /SF1234567890/)
    await page.getByRole('button', { name: '确认收货 Confirm receipt' }).click()
    await page.locator('#order', { hasText: '已完成 Completed' }).first().waitFor()
    await shot(page, 'c11-order-completed')
    // the completed order lifts the customer to the 100-spend level
    await page.goto(`${shop}/me`)
    await page.locator('#level', { hasText: '银卡会员' }).waitFor()
  })

  it('the commission becomes available and the distributor withdraws it', async () => {
    await storefrontLogin(dist.email, '/distributor')
    await until('#comm', /available/, 'settlement')
    assert.match(await text('#dist'), /0\.00 Frozen 待结算 17\.80 Available 可提现 0\.00 Withdrawn 已提现/)
    await shot(page, 'c12-distributor-available')
    const wd = page.locator('#wd')
    await wd.locator('input[name=amount]').fill('17.80')
    await wd.locator('select[name=channel]').selectOption('alipay')
    await wd.locator('input[name=account]').fill('dist@alipay.test')
    await wd.locator('input[name=name]').fill('王五')
    await wd.locator('button').click()
    await page.locator('#wds', { hasText: '¥17.80 · requested' }).waitFor()
    assert.match(await text('#dist'), /0\.00 Frozen 待结算 0\.00 Available 可提现/)
    await shot(page, 'c13-withdrawal-requested')
  })

  it('the merchant approves the withdrawal and marks it paid', async () => {
    await admin.goto(`${BASE}/admin/merchant/distribution`)
    await admin.getByRole('tab', { name: '提现审核' }).click()
    const row = admin.locator('.el-table__row', { hasText: 'dist@alipay.test' })
    await row.waitFor()
    assert.match(await row.innerText(), /¥17\.80/)
    await row.locator('[data-test=approve-withdrawal]').click()
    await confirmBox(admin)
    await admin.locator('.el-radio-button', { hasText: '已通过' }).click()
    const approved = admin.locator('.el-table__row', { hasText: 'dist@alipay.test' })
    await approved.getByRole('button', { name: '标记已打款' }).click()
    const box = admin.locator('.el-message-box').last()
    await box.locator('input').fill('ALIPAY-20261125-0001')
    await confirmBox(admin)
    await admin.locator('.el-radio-button', { hasText: '已打款' }).click()
    await admin.locator('.el-table__row', { hasText: 'dist@alipay.test' }).waitFor()
    await shot(admin, 'c14-admin-withdrawal-paid')
  })

  it('the distributor sees the withdrawal paid', async () => {
    await page.goto(`${shop}/distributor`)
    await page.locator('#wds', { hasText: '¥17.80 · paid' }).waitFor()
    assert.match(await text('#dist'), /0\.00 Frozen 待结算 0\.00 Available 可提现 17\.80 Withdrawn 已提现/)
    await shot(page, 'c15-distributor-paid')
  })
})
