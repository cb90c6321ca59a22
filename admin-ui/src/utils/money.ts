// Money and other exact decimals travel as strings ("12.50"). They are never
// parsed into JS numbers for arithmetic: everything here works on the digits
// with BigInt, so "0.1" + "0.2" is exactly "0.3".

const DECIMAL_RE = /^([+-])?(\d+)(?:\.(\d+))?$/

/** A parsed decimal: value = units / 10^scale. */
export interface Dec {
  units: bigint
  scale: number
}

/** True when s is a plain decimal ("12", "-0.5", "3.14"); no exponent, no separators. */
export function isDecimal(s: string | null | undefined): boolean {
  return typeof s === 'string' && DECIMAL_RE.test(s.trim())
}

export function parseDec(s: string): Dec {
  const m = DECIMAL_RE.exec(String(s).trim())
  if (!m) throw new Error(`not a decimal: ${JSON.stringify(s)}`)
  const frac = m[3] ?? ''
  let units = BigInt((m[2] ?? '0') + frac)
  if (m[1] === '-') units = -units
  return { units, scale: frac.length }
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n)
}

function rescaleUp(d: Dec, scale: number): bigint {
  return d.units * pow10(scale - d.scale)
}

/** Plain string of a Dec, trailing zeros kept to its scale. */
export function decToString(d: Dec): string {
  const neg = d.units < 0n
  let digits = (neg ? -d.units : d.units).toString()
  if (d.scale > 0) {
    digits = digits.padStart(d.scale + 1, '0')
    digits = digits.slice(0, digits.length - d.scale) + '.' + digits.slice(digits.length - d.scale)
  }
  return (neg && d.units !== 0n ? '-' : '') + digits
}

/** Rounds to `scale` places, half to even (the server's rule for money). */
export function roundHalfEven(s: string, scale = 2): string {
  const d = parseDec(s)
  if (d.scale <= scale) return decToString({ units: rescaleUp(d, scale), scale })
  const div = pow10(d.scale - scale)
  const neg = d.units < 0n
  const abs = neg ? -d.units : d.units
  let q = abs / div
  const r = abs % div
  const twice = r * 2n
  if (twice > div || (twice === div && q % 2n === 1n)) q += 1n
  return decToString({ units: neg ? -q : q, scale })
}

/** Exact comparison: -1, 0 or 1. */
export function compareDec(a: string, b: string): number {
  const x = parseDec(a)
  const y = parseDec(b)
  const s = Math.max(x.scale, y.scale)
  const u = rescaleUp(x, s)
  const v = rescaleUp(y, s)
  return u < v ? -1 : u > v ? 1 : 0
}

/** Exact sum of decimal strings. */
export function addDec(...xs: string[]): string {
  const ds = xs.map(parseDec)
  const s = Math.max(0, ...ds.map((d) => d.scale))
  return decToString({ units: ds.reduce((acc, d) => acc + rescaleUp(d, s), 0n), scale: s })
}

/** Exact a - b. */
export function subDec(a: string, b: string): string {
  const x = parseDec(a)
  const y = parseDec(b)
  const s = Math.max(x.scale, y.scale)
  return decToString({ units: rescaleUp(x, s) - rescaleUp(y, s), scale: s })
}

/** Exact a × b (e.g. price × price_factor), unrounded. */
export function mulDec(a: string, b: string): string {
  const x = parseDec(a)
  const y = parseDec(b)
  return decToString({ units: x.units * y.units, scale: x.scale + y.scale })
}

const SYMBOLS: Record<string, string> = { CNY: '¥', USD: '$', EUR: '€', JPY: '¥', HKD: 'HK$', GBP: '£' }
const MINOR: Record<string, number> = { JPY: 0, KRW: 0 }

/** Minor-unit digits of a currency (2 unless known otherwise). */
export function minorUnits(currency = 'CNY'): number {
  return MINOR[currency] ?? 2
}

/** Groups the integer digits in thousands: "1234567.5" → "1,234,567.5". */
function group(s: string): string {
  const neg = s.startsWith('-')
  const body = neg ? s.slice(1) : s
  const [int, frac] = body.split('.')
  const g = (int ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  return (neg ? '-' : '') + g + (frac !== undefined ? '.' + frac : '')
}

/**
 * Display of an amount: "¥1,234.50". Rounded half-even to the currency's
 * minor unit; null/undefined/invalid → "—".
 */
export function formatMoney(v: string | null | undefined, currency = 'CNY'): string {
  if (v === null || v === undefined || v === '' || !isDecimal(v)) return '—'
  const r = roundHalfEven(v, minorUnits(currency))
  const sym = SYMBOLS[currency] ?? currency + ' '
  const neg = r.startsWith('-')
  return (neg ? '-' : '') + sym + group(neg ? r.slice(1) : r)
}

/** "¥10.00" or "¥10.00 – ¥25.00" for a product's SKU price range. */
export function formatPriceRange(min: string | null | undefined, max: string | null | undefined, currency = 'CNY'): string {
  if (!isDecimal(min ?? '')) return formatMoney(max, currency)
  if (!isDecimal(max ?? '') || compareDec(min!, max!) === 0) return formatMoney(min, currency)
  return `${formatMoney(min, currency)} – ${formatMoney(max, currency)}`
}

/** A rate as a percentage: "0.1" → "10%", "0.125" → "12.5%". */
export function formatRate(v: string | null | undefined): string {
  if (!v || !isDecimal(v)) return '—'
  const p = mulDec(v, '100')
  return trimZeros(p) + '%'
}

/** "12.500" → "12.5", "3.00" → "3". */
export function trimZeros(s: string): string {
  if (!s.includes('.')) return s
  return s.replace(/0+$/, '').replace(/\.$/, '')
}

/** Percentage text ("10", "12.5") → decimal rate ("0.1", "0.125"), exactly. */
export function percentToRate(p: string): string {
  const d = parseDec(p)
  return trimZeros(decToString({ units: d.units, scale: d.scale + 2 })) || '0'
}

/**
 * Checks a money input: a non-negative decimal with at most `scale` places,
 * not above `max`. Returns an i18n-free reason or '' when fine.
 */
export function moneyProblem(s: string, opts: { scale?: number; max?: string; allowZero?: boolean } = {}): '' | 'format' | 'scale' | 'max' | 'zero' {
  const v = s.trim()
  if (!/^\d+(\.\d+)?$/.test(v)) return 'format'
  const d = parseDec(v)
  if (d.scale > (opts.scale ?? 2) && d.units % pow10(d.scale - (opts.scale ?? 2)) !== 0n) return 'scale'
  if (opts.max && compareDec(v, opts.max) > 0) return 'max'
  if (opts.allowZero === false && d.units === 0n) return 'zero'
  return ''
}
