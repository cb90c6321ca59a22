// Spec attributes (颜色: 红, 蓝; 尺码: S, M) → the variant (SKU) matrix: one
// row per combination, in the order the attributes and values are listed.
// Editing the attributes keeps what was typed into rows that still exist.

export interface SpecAttr {
  name: string
  values: string[]
}

/** One editable SKU row. Money and weight are decimal strings ('' = not set). */
export interface VariantRow {
  id?: string
  spec: Record<string, string>
  code: string
  price: string
  original_price: string
  cost: string
  stock: number
  weight: string
}

export const MAX_SPECS = 3
export const MAX_SPEC_VALUES = 50
export const MAX_SKUS = 500

/** Attributes with blank names/values removed and values de-duplicated. */
export function cleanSpecs(specs: SpecAttr[]): SpecAttr[] {
  const out: SpecAttr[] = []
  for (const s of specs) {
    const name = s.name.trim()
    if (!name) continue
    const seen = new Set<string>()
    const values: string[] = []
    for (const v of s.values) {
      const t = v.trim()
      if (t && !seen.has(t)) {
        seen.add(t)
        values.push(t)
      }
    }
    if (values.length) out.push({ name, values })
  }
  return out
}

/** Why a spec list cannot make a matrix, or '' when it can. */
export function specsProblem(specs: SpecAttr[]): '' | 'too_many_specs' | 'duplicate_name' | 'too_many_values' | 'too_many_skus' {
  const clean = cleanSpecs(specs)
  if (clean.length > MAX_SPECS) return 'too_many_specs'
  if (new Set(clean.map((s) => s.name)).size !== clean.length) return 'duplicate_name'
  if (clean.some((s) => s.values.length > MAX_SPEC_VALUES)) return 'too_many_values'
  if (combinationCount(clean) > MAX_SKUS) return 'too_many_skus'
  return ''
}

export function combinationCount(specs: SpecAttr[]): number {
  return specs.reduce((n, s) => n * s.values.length, 1)
}

/** Every combination, first attribute varying slowest: [{颜色: 红, 尺码: S}, {颜色: 红, 尺码: M}, ...]. */
export function combinations(specs: SpecAttr[]): Record<string, string>[] {
  let acc: Record<string, string>[] = [{}]
  for (const s of specs) {
    const next: Record<string, string>[] = []
    for (const partial of acc) for (const v of s.values) next.push({ ...partial, [s.name]: v })
    acc = next
  }
  return acc
}

/** Stable key of a combination under the given attribute order. */
export function specKey(spec: Record<string, string>, specs: SpecAttr[]): string {
  return specs.map((s) => `${s.name}=${spec[s.name] ?? ''}`).join('\u0001')
}

/** "红 / S" (or '' for the single SKU of a product without specs). */
export function specLabel(spec: Record<string, string>, specs: SpecAttr[]): string {
  return specs.map((s) => spec[s.name] ?? '').join(' / ')
}

function emptyRow(spec: Record<string, string>): VariantRow {
  return { spec, code: '', price: '', original_price: '', cost: '', stock: 0, weight: '' }
}

/** Default SKU code: PREFIX-1, PREFIX-2, ... (empty without a prefix). */
export function defaultCode(prefix: string, index: number): string {
  const p = prefix.trim()
  return p ? `${p}-${index + 1}` : ''
}

/**
 * The matrix for `specs`, reusing rows of `previous` whose combination still
 * exists (matched by the values of the attributes both have, so adding an
 * attribute keeps the first value's rows' data and renaming a value loses only
 * that value's rows). New rows get a code from `codePrefix` that no other row
 * uses.
 */
export function buildMatrix(specsIn: SpecAttr[], previous: VariantRow[], codePrefix = ''): VariantRow[] {
  const specs = cleanSpecs(specsIn)
  const combos = combinations(specs)
  const byKey = new Map<string, VariantRow>()
  for (const r of previous) {
    const k = specKey(r.spec, specs)
    if (!byKey.has(k)) byKey.set(k, r)
  }
  // Rows made under fewer attributes: match on the attributes they had.
  const partial = (combo: Record<string, string>): VariantRow | undefined =>
    previous.find((r) => {
      const names = Object.keys(r.spec)
      return names.length < specs.length && names.every((n) => combo[n] === r.spec[n]) && specs.some((s) => s.values[0] === combo[s.name] && !(s.name in r.spec))
    })
  const used = new Set<VariantRow>()
  const rows = combos.map((combo) => {
    let prev = byKey.get(specKey(combo, specs))
    if (prev && used.has(prev)) prev = undefined
    if (!prev) {
      const p = partial(combo)
      if (p && !used.has(p)) prev = p
    }
    if (prev) {
      used.add(prev)
      return { ...prev, spec: combo }
    }
    return emptyRow(combo)
  })
  const codes = new Set(rows.map((r) => r.code).filter(Boolean))
  let n = 0
  for (const r of rows) {
    if (r.code || !codePrefix.trim()) continue
    let c = defaultCode(codePrefix, n)
    while (codes.has(c)) c = defaultCode(codePrefix, ++n)
    r.code = c
    codes.add(c)
    n++
  }
  return rows
}

/** Sets one column of every row (the "apply to all" action). */
export function fillColumn<K extends 'price' | 'original_price' | 'cost' | 'weight' | 'stock'>(rows: VariantRow[], key: K, value: VariantRow[K]): VariantRow[] {
  return rows.map((r) => ({ ...r, [key]: value }))
}

/** Wire form of a row: optional decimals as null when empty. */
export function toSkuInput(r: VariantRow) {
  const opt = (s: string) => (s.trim() === '' ? null : s.trim())
  return {
    ...(r.id ? { id: r.id } : {}),
    code: r.code.trim(),
    spec: r.spec,
    price: opt(r.price),
    original_price: opt(r.original_price),
    cost: opt(r.cost),
    stock: r.stock,
    weight: opt(r.weight),
  }
}

/** Editable row of a SKU from the server. */
export function fromSku(s: {
  id: string
  code: string
  spec: Record<string, string> | null
  price: string
  original_price?: string | null
  cost?: string | null
  stock: number
  weight?: string | null
}): VariantRow {
  return {
    id: s.id,
    spec: s.spec ?? {},
    code: s.code,
    price: s.price ?? '',
    original_price: s.original_price ?? '',
    cost: s.cost ?? '',
    stock: s.stock,
    weight: s.weight ?? '',
  }
}
