// Logistics helpers: carrier codes and tracking links (mirroring
// core/orders/carriers.go), and the tracking upload as a small state machine:
//
//   idle ──file──> checking ──report──> checked ──apply──> applying ──report──> applied
//                     │                    │  (invalid report: apply refused)  │
//                     └──error──> idle     └──file──> checking                └──error──> checked (with the error)
import type { Carrier, TrackingImport } from '@/api/logistics'

/** Placeholder replaced by the tracking number in a carrier's tracking URL. */
export const TRACKING_PLACEHOLDER = '{tracking_no}'

const CODE_RE = /^[A-Z0-9][A-Z0-9_-]{0,31}$/

/** Upper-cases and trims what a user typed as a carrier code. */
export function normalizeCarrierCode(s: string): string {
  return s.trim().toUpperCase()
}

/** Whether code is a valid carrier code (A–Z, 0–9, _ and -, at most 32). */
export function isCarrierCode(code: string): boolean {
  return CODE_RE.test(code)
}

/** Whether s is empty or an http(s) URL containing {tracking_no}, at most 500 characters. */
export function isTrackingTemplate(s: string): boolean {
  if (s === '') return true
  if (s.length > 500 || !s.includes(TRACKING_PLACEHOLDER)) return false
  try {
    const u = new URL(s.split(TRACKING_PLACEHOLDER).join('x'))
    return (u.protocol === 'https:' || u.protocol === 'http:') && u.host !== ''
  } catch {
    return false
  }
}

/**
 * Fills a tracking URL template with a tracking number, escaped like Go's
 * url.QueryEscape (spaces as +), so the preview matches what members get.
 */
export function trackingLink(template: string, trackingNo: string): string {
  if (!template) return ''
  const escaped = encodeURIComponent(trackingNo)
    .replace(/%20/g, '+')
    .replace(/[!'()*~]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
  return template.split(TRACKING_PLACEHOLDER).join(escaped)
}

/** The carrier's name for a code, else the code (a deleted carrier). */
export function carrierName(carriers: Carrier[], code: string): string {
  return carriers.find((c) => c.code === code)?.name ?? code
}

export type UploadState =
  | { phase: 'idle'; error?: string }
  | { phase: 'checking'; fileName: string }
  | { phase: 'checked'; fileName: string; report: TrackingImport; error?: string }
  | { phase: 'applying'; fileName: string; report: TrackingImport }
  | { phase: 'applied'; fileName: string; report: TrackingImport }

export type UploadEvent =
  | { type: 'file'; fileName: string }
  | { type: 'report'; report: TrackingImport }
  | { type: 'error'; error: string }
  | { type: 'apply' }
  | { type: 'reset' }

export const initialUpload: UploadState = { phase: 'idle' }

/** Whether the checked file may be applied: a valid dry run with something to add. */
export function canApply(s: UploadState): boolean {
  return s.phase === 'checked' && s.report.dry_run && s.report.valid && s.report.added > 0
}

export function uploadReducer(s: UploadState, e: UploadEvent): UploadState {
  switch (e.type) {
    case 'reset':
      return initialUpload
    case 'file':
      return s.phase === 'checking' || s.phase === 'applying' ? s : { phase: 'checking', fileName: e.fileName }
    case 'report':
      if (s.phase === 'checking') return { phase: 'checked', fileName: s.fileName, report: e.report }
      if (s.phase === 'applying') return { phase: 'applied', fileName: s.fileName, report: e.report }
      return s
    case 'error':
      if (s.phase === 'checking') return { phase: 'idle', error: e.error }
      if (s.phase === 'applying') return { phase: 'checked', fileName: s.fileName, report: s.report, error: e.error }
      return s
    case 'apply':
      return canApply(s) && s.phase === 'checked' ? { phase: 'applying', fileName: s.fileName, report: s.report } : s
  }
}
