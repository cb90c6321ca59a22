// Distribution screens' form ↔ API mapping and the team tree's nodes.
import type { DistributionSettings, Grade, GradeInput, TeamNode } from '@/api/distribution'
import type { Page } from '@/api/http'
import { isDecimal, mulDec, percentToRate, trimZeros } from './money'

/** The legal limit on commission levels (禁止传销条例): the UI never offers more. */
export const MAX_DEPTH = 3

export const MONEY_SETTINGS = [
  'spending_threshold',
  'withdrawal_min',
  'withdrawal_fee_fixed',
  'withdrawal_fee_percent',
  'withdrawal_daily_limit',
  'auto_approve_below',
  'second_approver_above',
] as const

/** Every settings field, for placing server errors next to the field. */
export const SETTINGS_FIELDS = [
  'enabled',
  'eligibility',
  'binding_mode',
  'lock_days',
  'rebind_policy',
  'rebind_days',
  'depth',
  'commission_base',
  'self_purchase',
  'freeze_days',
  'settlement_cycle',
  'channels',
  'payment_plugin',
  'commission_plugin',
  ...MONEY_SETTINGS,
] as const

export const clampDepth = (n: number): number => Math.min(MAX_DEPTH, Math.max(1, Math.round(Number(n) || 1)))

/** The settings form: like the API's, with channels always a list. */
export type SettingsForm = Omit<DistributionSettings, 'channels'> & { channels: string[] }

/** API settings → form: money without trailing zeros, channels a list, depth within 1–3. */
export function settingsToForm(s: DistributionSettings): SettingsForm {
  const f: SettingsForm = { ...s, channels: [...(s.channels ?? [])], depth: clampDepth(s.depth) }
  for (const k of MONEY_SETTINGS) f[k] = trimZeros(String(s[k] ?? '0'))
  return f
}

/** Form → the PUT body: whatever the form does not show is kept from the loaded settings; blank money is 0. */
export function formToSettings(form: SettingsForm, loaded: DistributionSettings): DistributionSettings {
  const out: DistributionSettings = { ...loaded, ...form, channels: [...(form.channels ?? [])], depth: clampDepth(form.depth) }
  for (const k of MONEY_SETTINGS) out[k] = String(form[k] ?? '').trim() || '0'
  for (const k of ['lock_days', 'rebind_days', 'freeze_days'] as const) out[k] = Math.round(Number(form[k]) || 0)
  out.payment_plugin = (form.payment_plugin ?? '').trim()
  out.commission_plugin = (form.commission_plugin ?? '').trim()
  return out
}

/** A grade's form: rates as percentages per level ("10" for 0.1), always MAX_DEPTH slots. */
export interface GradeForm {
  name: string
  rank: number
  percents: string[]
  min_team_size: number
  min_referred_sales: string
}

export function gradeToForm(g?: Grade | null, nextRank = 0): GradeForm {
  const rates = g?.rates ?? []
  const percents = Array.from({ length: MAX_DEPTH }, (_, i) => (rates[i] !== undefined && isDecimal(rates[i]) ? trimZeros(mulDec(rates[i]!, '100')) : ''))
  return {
    name: g?.name ?? '',
    rank: g?.rank ?? nextRank,
    percents,
    min_team_size: g?.min_team_size ?? 0,
    min_referred_sales: trimZeros(g?.min_referred_sales ?? '0'),
  }
}

/**
 * The grade's body: percentages → fractions for the first `depth` levels,
 * trailing blanks dropped (a grade may set fewer levels than the depth),
 * a blank between two set levels is 0%. Check gradeFormProblems first.
 */
export function formToGrade(f: GradeForm, depth: number): GradeInput {
  const slots = f.percents.slice(0, clampDepth(depth)).map((p) => p.trim())
  while (slots.length && slots[slots.length - 1] === '') slots.pop()
  return {
    name: f.name.trim(),
    rank: Math.round(Number(f.rank) || 0),
    rates: slots.map((p) => (p === '' ? '0' : percentToRate(p))),
    min_team_size: Math.round(Number(f.min_team_size) || 0),
    min_referred_sales: f.min_referred_sales.trim() || '0',
  }
}

/** Indexes of the levels (within the depth) whose percentage is not a plain non-negative number. */
export function gradeFormProblems(f: GradeForm, depth: number): number[] {
  return f.percents
    .slice(0, clampDepth(depth))
    .map((p, i) => (p.trim() === '' || (isDecimal(p) && !p.trim().startsWith('-')) ? -1 : i))
    .filter((i) => i >= 0)
}

/** A node of the lazily loaded team tree (el-tree with `lazy`). */
export interface TreeNode {
  /** Unique in the tree: a member id, or "more:<parent>:<n>" for a "load more" row. */
  key: string
  label: string
  level: number
  leaf: boolean
  member?: TeamNode
  /** A "load more" row: fetch the next page of `parent` from `cursor`. */
  more?: { parent: string; cursor: string }
}

/**
 * One page of a node's children as tree nodes: a member is a leaf when it
 * has no children within the depth; a next cursor adds a "load more" row.
 */
export function teamPageToNodes(page: Page<TeamNode>, parent: string, moreLabel: string): TreeNode[] {
  const out: TreeNode[] = (page.items ?? []).map((m) => ({
    key: m.member_id,
    label: m.name || m.member_id.slice(0, 8),
    level: m.level,
    leaf: m.children === 0,
    member: m,
  }))
  if (page.next_cursor) {
    out.push({ key: `more:${parent}:${page.next_cursor}`, label: moreLabel, level: out[0]?.level ?? 0, leaf: true, more: { parent, cursor: page.next_cursor } })
  }
  return out
}
