// Progress of a background coupon issue (to a level or a tag).
import type { CouponIssue } from '@/api/members'

export const issueFinished = (j: Pick<CouponIssue, 'status'>) => j.status === 'done' || j.status === 'failed'

// issuePercent is the share of the audience walked, 0–100; a finished issue
// is 100 (the audience may have changed while it ran).
export function issuePercent(j: Pick<CouponIssue, 'status' | 'total' | 'targeted'>): number {
  if (issueFinished(j)) return 100
  if (j.total <= 0) return 0
  return Math.min(99, Math.floor((j.targeted * 100) / j.total))
}

// issueBarStatus is el-progress's status for the issue.
export function issueBarStatus(j: Pick<CouponIssue, 'status'>): '' | 'success' | 'exception' {
  return j.status === 'done' ? 'success' : j.status === 'failed' ? 'exception' : ''
}
