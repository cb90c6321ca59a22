import { describe, expect, it } from 'vitest'
import { issueBarStatus, issueFinished, issuePercent } from './couponIssue'

describe('coupon issue progress', () => {
  it.each([
    [{ status: 'queued', total: 2500, targeted: 0 }, 0, false, ''],
    [{ status: 'running', total: 2500, targeted: 1000 }, 40, false, ''],
    [{ status: 'running', total: 2500, targeted: 2600 }, 99, false, ''], // members joined meanwhile
    [{ status: 'running', total: 0, targeted: 0 }, 0, false, ''],
    [{ status: 'done', total: 2540, targeted: 2540 }, 100, true, 'success'],
    [{ status: 'failed', total: 2500, targeted: 1000 }, 100, true, 'exception'],
  ])('%o → %i%%', (j, pct, finished, bar) => {
    expect(issuePercent(j)).toBe(pct)
    expect(issueFinished(j)).toBe(finished)
    expect(issueBarStatus(j)).toBe(bar)
  })
})
