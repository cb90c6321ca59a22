// The product import as a state machine:
//
//   idle ──file──> checking ──report──> checked ──start──> starting ──job──> running ──poll…──> done | failed
//                     │                    │  (invalid report: start refused)     │
//                     └──error──> idle     └──file──> checking                  └──error: keep polling (bounded)
//
// The view feeds it events and renders the state; polling is driven by
// `shouldPoll` and `pollDelay`.

export interface RowError {
  row: number
  column?: string
  message: string
}

export interface ImportReport {
  rows: number
  products: number
  skus: number
  new_products: number
  valid: boolean
  errors: RowError[]
}

export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | (string & {})

export interface ImportJob {
  id: string
  kind: string
  status: JobStatus
  format: string
  file_name: string
  total: number
  done: number
  errors: RowError[]
  created_at: string
  started_at: string | null
  finished_at: string | null
}

export type ImportState =
  | { phase: 'idle'; error?: string }
  | { phase: 'checking'; fileName: string }
  | { phase: 'checked'; fileName: string; report: ImportReport; error?: string }
  | { phase: 'starting'; fileName: string; report: ImportReport }
  | { phase: 'running'; job: ImportJob; pollErrors: number }
  | { phase: 'done'; job: ImportJob }
  | { phase: 'failed'; job?: ImportJob; error?: string }

export type ImportEvent =
  | { type: 'file'; fileName: string }
  | { type: 'report'; report: ImportReport }
  | { type: 'checkError'; error: string }
  | { type: 'start' }
  | { type: 'startError'; error: string }
  | { type: 'job'; job: ImportJob }
  | { type: 'pollError'; error: string }
  | { type: 'reset' }

/** Polls that may fail in a row before the view gives up. */
export const MAX_POLL_ERRORS = 5

export const initialImport: ImportState = { phase: 'idle' }

function fromJob(job: ImportJob, pollErrors = 0): ImportState {
  if (job.status === 'done') return { phase: 'done', job }
  if (job.status === 'failed') return { phase: 'failed', job }
  return { phase: 'running', job, pollErrors }
}

export function importReducer(s: ImportState, e: ImportEvent): ImportState {
  switch (e.type) {
    case 'reset':
      return initialImport
    case 'file':
      // A new file may be chosen any time nothing is being written.
      if (s.phase === 'starting' || s.phase === 'running') return s
      return { phase: 'checking', fileName: e.fileName }
    case 'report':
      return s.phase === 'checking' ? { phase: 'checked', fileName: s.fileName, report: e.report } : s
    case 'checkError':
      return s.phase === 'checking' ? { phase: 'idle', error: e.error } : s
    case 'start':
      return s.phase === 'checked' && s.report.valid ? { phase: 'starting', fileName: s.fileName, report: s.report } : s
    case 'startError':
      return s.phase === 'starting' ? { phase: 'checked', fileName: s.fileName, report: s.report, error: e.error } : s
    case 'job':
      if (s.phase === 'starting') return fromJob(e.job)
      if (s.phase === 'running' && e.job.id === s.job.id) return fromJob(e.job)
      return s
    case 'pollError':
      if (s.phase !== 'running') return s
      if (s.pollErrors + 1 >= MAX_POLL_ERRORS) return { phase: 'failed', job: s.job, error: e.error }
      return { ...s, pollErrors: s.pollErrors + 1 }
  }
}

export function shouldPoll(s: ImportState): boolean {
  return s.phase === 'running'
}

/** Poll quickly at first, then back off (ms); longer after errors. */
export function pollDelay(s: ImportState, polls: number): number {
  const base = polls < 10 ? 500 : polls < 40 ? 1000 : 2000
  return s.phase === 'running' && s.pollErrors > 0 ? base * 2 ** s.pollErrors : base
}

/** Progress 0–100 (integer); a finished job is 100 whatever the counts say. */
export function progressPercent(job: Pick<ImportJob, 'status' | 'total' | 'done'>): number {
  if (job.status === 'done') return 100
  if (!job.total || job.total <= 0) return 0
  return Math.max(0, Math.min(100, Math.floor((job.done * 100) / job.total)))
}

/** Element Plus progress status for a state. */
export function progressStatus(s: ImportState): '' | 'success' | 'exception' {
  if (s.phase === 'done') return s.job.errors?.length ? 'exception' : 'success'
  if (s.phase === 'failed') return 'exception'
  return ''
}
