import { describe, expect, it } from 'vitest'
import { MAX_POLL_ERRORS, importReducer, initialImport, pollDelay, progressPercent, progressStatus, shouldPoll, type ImportJob, type ImportReport, type ImportState } from './importFlow'

const good: ImportReport = { rows: 3, products: 2, skus: 3, new_products: 2, valid: true, errors: [] }
const bad: ImportReport = { ...good, valid: false, errors: [{ row: 2, column: 'price', message: 'not a number' }] }
const job = (status: string, done = 0, total = 3): ImportJob => ({
  id: 'j1', kind: 'import', status, format: 'csv', file_name: 'a.csv', total, done, errors: [], created_at: '', started_at: null, finished_at: null,
})

function run(events: Parameters<typeof importReducer>[1][], s: ImportState = initialImport) {
  return events.reduce(importReducer, s)
}

describe('import flow', () => {
  it('goes file → report → start → running → done', () => {
    let s = run([{ type: 'file', fileName: 'a.csv' }])
    expect(s.phase).toBe('checking')
    s = importReducer(s, { type: 'report', report: good })
    expect(s).toMatchObject({ phase: 'checked', fileName: 'a.csv' })
    s = importReducer(s, { type: 'start' })
    expect(s.phase).toBe('starting')
    s = importReducer(s, { type: 'job', job: job('queued') })
    expect(s.phase).toBe('running')
    expect(shouldPoll(s)).toBe(true)
    s = importReducer(s, { type: 'job', job: job('running', 2) })
    expect(s.phase === 'running' && progressPercent(s.job)).toBe(66)
    s = importReducer(s, { type: 'job', job: job('done', 3) })
    expect(s.phase).toBe('done')
    expect(shouldPoll(s)).toBe(false)
    expect(progressStatus(s)).toBe('success')
  })

  it('refuses to start an invalid file', () => {
    const s = run([{ type: 'file', fileName: 'a.csv' }, { type: 'report', report: bad }, { type: 'start' }])
    expect(s.phase).toBe('checked')
  })

  it('returns to idle when the check fails, to checked when the start fails', () => {
    expect(run([{ type: 'file', fileName: 'a' }, { type: 'checkError', error: 'bad header' }])).toEqual({ phase: 'idle', error: 'bad header' })
    const s = run([{ type: 'file', fileName: 'a' }, { type: 'report', report: good }, { type: 'start' }, { type: 'startError', error: 'x' }])
    expect(s).toMatchObject({ phase: 'checked', error: 'x' })
  })

  it('ignores a new file while an import runs, and stale answers', () => {
    let s = run([{ type: 'file', fileName: 'a' }, { type: 'report', report: good }, { type: 'start' }, { type: 'job', job: job('running') }])
    expect(importReducer(s, { type: 'file', fileName: 'b' })).toBe(s)
    expect(importReducer(s, { type: 'job', job: { ...job('done'), id: 'other' } })).toBe(s)
    s = importReducer(s, { type: 'job', job: job('failed') })
    expect(s.phase).toBe('failed')
    expect(progressStatus(s)).toBe('exception')
    expect(importReducer(s, { type: 'report', report: good })).toBe(s)
  })

  it('gives up after repeated poll errors, backing off meanwhile', () => {
    let s = run([{ type: 'file', fileName: 'a' }, { type: 'report', report: good }, { type: 'start' }, { type: 'job', job: job('running') }])
    expect(pollDelay(s, 0)).toBe(500)
    s = importReducer(s, { type: 'pollError', error: 'net' })
    expect(pollDelay(s, 0)).toBe(1000)
    s = importReducer(s, { type: 'job', job: job('running', 1) })
    expect(s.phase === 'running' && s.pollErrors).toBe(0)
    for (let i = 0; i < MAX_POLL_ERRORS; i++) s = importReducer(s, { type: 'pollError', error: 'net' })
    expect(s).toMatchObject({ phase: 'failed', error: 'net' })
  })

  it('computes progress safely', () => {
    expect(progressPercent(job('queued', 0, 0))).toBe(0)
    expect(progressPercent(job('running', 5, 3))).toBe(100)
    expect(progressPercent(job('done', 0, 0))).toBe(100)
  })
})
