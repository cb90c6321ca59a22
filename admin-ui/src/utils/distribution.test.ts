import { describe, expect, it } from 'vitest'
import type { DistributionSettings, Grade, TeamNode } from '@/api/distribution'
import { clampDepth, formToGrade, gradeFormProblems, formToSettings, gradeToForm, settingsToForm, teamPageToNodes } from './distribution'

const api: DistributionSettings = {
  enabled: true,
  eligibility: 'application',
  spending_threshold: '0',
  binding_mode: 'first_visit',
  lock_days: 30,
  rebind_policy: 'permanent',
  rebind_days: 0,
  depth: 2,
  commission_base: 'paid_excluding_shipping',
  self_purchase: false,
  freeze_days: 7,
  settlement_cycle: 'daily',
  withdrawal_min: '10.00',
  withdrawal_fee_fixed: '0',
  withdrawal_fee_percent: '0.50',
  withdrawal_daily_limit: '20000',
  channels: null,
  auto_approve_below: '0',
  second_approver_above: '5000.00',
  payment_plugin: '',
  commission_plugin: 'commission-tiered',
}

describe('distribution settings form', () => {
  it('maps the API to the form and back without losing anything', () => {
    const f = settingsToForm(api)
    expect(f.withdrawal_min).toBe('10')
    expect(f.withdrawal_fee_percent).toBe('0.5')
    expect(f.channels).toEqual([])
    expect(formToSettings(f, api)).toEqual({ ...api, withdrawal_min: '10', withdrawal_fee_percent: '0.5', second_approver_above: '5000', channels: [] })
  })

  it('never sends a depth above 3 or below 1', () => {
    expect([0, 1, 2, 3, 4, 9].map(clampDepth)).toEqual([1, 1, 2, 3, 3, 3])
    expect(settingsToForm({ ...api, depth: 5 }).depth).toBe(3)
    expect(formToSettings({ ...settingsToForm(api), depth: 4 }, api).depth).toBe(3)
  })

  it('sends blank money as 0, trims names and keeps fields the form does not show', () => {
    const form = { ...settingsToForm(api), withdrawal_fee_fixed: ' ', commission_plugin: ' commission-tiered ', channels: ['bank'] }
    delete (form as Partial<typeof form>).payment_plugin
    const out = formToSettings(form as ReturnType<typeof settingsToForm>, { ...api, payment_plugin: 'payment-sandbox' })
    expect(out.withdrawal_fee_fixed).toBe('0')
    expect(out.commission_plugin).toBe('commission-tiered')
    expect(out.channels).toEqual(['bank'])
  })
})

describe('grade form', () => {
  const g: Grade = { id: 'g1', name: '高级', rank: 2, rates: ['0.1', '0.055'], min_team_size: 5, min_referred_sales: '1000.00' }

  it('shows rates as percentages in three slots', () => {
    expect(gradeToForm(g)).toEqual({ name: '高级', rank: 2, percents: ['10', '5.5', ''], min_team_size: 5, min_referred_sales: '1000' })
    expect(gradeToForm(null, 3).percents).toEqual(['', '', ''])
  })

  it('sends exact fractions for the levels within the depth, trailing blanks dropped', () => {
    const f = { ...gradeToForm(g), percents: ['12.5', '5', '1'] }
    expect(formToGrade(f, 3).rates).toEqual(['0.125', '0.05', '0.01'])
    expect(formToGrade(f, 2).rates).toEqual(['0.125', '0.05'])
    expect(formToGrade({ ...f, percents: ['10', '', ''] }, 3).rates).toEqual(['0.1'])
    // A hole between two levels is 0%.
    expect(formToGrade({ ...f, percents: ['10', '', '1'] }, 3).rates).toEqual(['0.1', '0', '0.01'])
    expect(formToGrade({ ...f, name: ' 钻石 ', min_referred_sales: '' }, 3)).toMatchObject({ name: '钻石', min_referred_sales: '0' })
  })

  it('finds the levels that are not numbers, within the depth only', () => {
    const f = { ...gradeToForm(g), percents: ['10%', '5', 'abc'] }
    expect(gradeFormProblems(f, 3)).toEqual([0, 2])
    expect(gradeFormProblems(f, 2)).toEqual([0])
    expect(gradeFormProblems({ ...f, percents: ['', '-1', ' 2.5 '] }, 3)).toEqual([1])
  })
})

describe('team tree', () => {
  const node = (id: string, children: number, name = ''): TeamNode => ({
    member_id: id,
    name,
    level: 2,
    referrer_id: 'p',
    bound_at: '2026-01-01T00:00:00Z',
    is_distributor: children > 0,
    children,
  })

  it('makes members without children leaves and adds a load-more row', () => {
    const nodes = teamPageToNodes({ items: [node('aaaaaaaa-1', 2, '张三'), node('bbbbbbbb-2', 0)], next_cursor: 'c1' }, 'p', '更多')
    expect(nodes.map((n) => [n.key, n.label, n.leaf, n.level])).toEqual([
      ['aaaaaaaa-1', '张三', false, 2],
      ['bbbbbbbb-2', 'bbbbbbbb', true, 2],
      ['more:p:c1', '更多', true, 2],
    ])
    expect(nodes[2]!.more).toEqual({ parent: 'p', cursor: 'c1' })
  })

  it('has no load-more row on the last page', () => {
    expect(teamPageToNodes({ items: [], next_cursor: '' }, 'p', 'more')).toEqual([])
  })
})
