import { describe, expect, it } from 'vitest'
import type { Carrier, TrackingImport } from '@/api/logistics'
import { canApply, carrierName, initialUpload, isCarrierCode, isTrackingTemplate, normalizeCarrierCode, trackingLink, uploadReducer, type UploadState } from './logistics'

const report = (over: Partial<TrackingImport> = {}): TrackingImport => ({ dry_run: true, rows: 2, valid: true, added: 2, duplicates: 0, errors: [], ...over })

describe('carrier codes', () => {
  it('normalizes and validates like the server', () => {
    expect(normalizeCarrierCode('  deppon ')).toBe('DEPPON')
    for (const ok of ['SF', 'JT', 'A_1-B', 'X'.repeat(32)]) expect(isCarrierCode(ok), ok).toBe(true)
    for (const bad of ['', 'sf', 'SF EXPRESS', '-SF', 'X'.repeat(33), '顺丰']) expect(isCarrierCode(bad), bad).toBe(false)
  })
})

describe('tracking templates', () => {
  it('accepts empty or an http(s) URL with the placeholder', () => {
    expect(isTrackingTemplate('')).toBe(true)
    expect(isTrackingTemplate('https://www.kuaidi100.com/chaxun?com=shunfeng&nu={tracking_no}')).toBe(true)
    expect(isTrackingTemplate('http://example.com/{tracking_no}')).toBe(true)
    expect(isTrackingTemplate('https://example.com/track')).toBe(false)
    expect(isTrackingTemplate('javascript:alert(1)//{tracking_no}')).toBe(false)
    expect(isTrackingTemplate('example.com/{tracking_no}')).toBe(false)
    expect(isTrackingTemplate('https://example.com/' + 'x'.repeat(490) + '{tracking_no}')).toBe(false)
  })

  it('fills the template escaped as the server does (Go url.QueryEscape)', () => {
    expect(trackingLink('https://example.com/track?no={tracking_no}', 'DP 1/2')).toBe('https://example.com/track?no=DP+1%2F2')
    expect(trackingLink('https://e.com/{tracking_no}?again={tracking_no}', 'SF1')).toBe('https://e.com/SF1?again=SF1')
    expect(trackingLink('https://e.com/{tracking_no}', "a!b'(c)*~")).toBe('https://e.com/a%21b%27%28c%29%2A%7E')
    expect(trackingLink('', 'SF1')).toBe('')
  })

  it('names a carrier, or shows the code of a deleted one', () => {
    const cs = [{ code: 'SF', name: '顺丰速运' } as Carrier]
    expect(carrierName(cs, 'SF')).toBe('顺丰速运')
    expect(carrierName(cs, 'GONE')).toBe('GONE')
  })
})

describe('tracking upload flow', () => {
  const run = (events: Parameters<typeof uploadReducer>[1][]): UploadState => events.reduce(uploadReducer, initialUpload)

  it('checks, then applies a valid report', () => {
    let s = run([{ type: 'file', fileName: 'a.csv' }, { type: 'report', report: report() }])
    expect(s.phase).toBe('checked')
    expect(canApply(s)).toBe(true)
    s = uploadReducer(s, { type: 'apply' })
    expect(s.phase).toBe('applying')
    s = uploadReducer(s, { type: 'report', report: report({ dry_run: false, added: 2 }) })
    expect(s).toMatchObject({ phase: 'applied', fileName: 'a.csv', report: { dry_run: false, added: 2 } })
  })

  it('refuses to apply a report with bad rows or nothing new', () => {
    const bad = run([{ type: 'file', fileName: 'a.csv' }, { type: 'report', report: report({ valid: false, added: 0, errors: [{ row: 2, column: 'order_no', message: 'unknown order' }] }) }])
    expect(canApply(bad)).toBe(false)
    expect(uploadReducer(bad, { type: 'apply' })).toBe(bad)
    const dup = run([{ type: 'file', fileName: 'a.csv' }, { type: 'report', report: report({ added: 0, duplicates: 2 }) }])
    expect(canApply(dup)).toBe(false)
  })

  it('keeps the report when applying fails, goes back to idle when checking fails', () => {
    const failedApply = run([{ type: 'file', fileName: 'a.csv' }, { type: 'report', report: report() }, { type: 'apply' }, { type: 'error', error: 'boom' }])
    expect(failedApply).toMatchObject({ phase: 'checked', error: 'boom', report: { added: 2 } })
    expect(run([{ type: 'file', fileName: 'a.csv' }, { type: 'error', error: 'unreadable' }])).toEqual({ phase: 'idle', error: 'unreadable' })
  })

  it('ignores a new file while a request is in flight', () => {
    const s = run([{ type: 'file', fileName: 'a.csv' }, { type: 'file', fileName: 'b.csv' }])
    expect(s).toEqual({ phase: 'checking', fileName: 'a.csv' })
  })
})
