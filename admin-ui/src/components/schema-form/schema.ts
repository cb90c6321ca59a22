// JSON Schema → form helpers (the subset plugin config schemas use):
// string / number / integer / boolean / enum / array of strings (or of enum
// values) / nested object, with required, minLength/maxLength, pattern,
// minimum/maximum (+ exclusive), multipleOf, minItems/maxItems, uniqueItems.
// Anything else is edited as raw JSON.

export interface JSONSchema {
  $schema?: string
  $ref?: string
  $defs?: Record<string, JSONSchema>
  definitions?: Record<string, JSONSchema>
  type?: string | string[]
  title?: string
  description?: string
  default?: unknown
  const?: unknown
  enum?: unknown[]
  /** Labels of `enum` values (non-standard, widely used). */
  enumNames?: string[]
  'x-enumNames'?: string[]
  oneOf?: JSONSchema[]
  anyOf?: JSONSchema[]
  format?: string
  readOnly?: boolean
  properties?: Record<string, JSONSchema>
  required?: string[]
  additionalProperties?: boolean | JSONSchema
  items?: JSONSchema
  minLength?: number
  maxLength?: number
  pattern?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number | boolean
  exclusiveMaximum?: number | boolean
  multipleOf?: number
  minItems?: number
  maxItems?: number
  uniqueItems?: boolean
  /** Field order hint (non-standard). */
  'x-order'?: number
}

export type FieldKind =
  | 'string'
  | 'text'
  | 'password'
  | 'number'
  | 'integer'
  | 'boolean'
  | 'enum'
  | 'string-array'
  | 'enum-array'
  | 'object'
  | 'json'

export interface EnumOption {
  value: string | number | boolean | null
  label: string
}

/** The schema's type, ignoring "null" in a type array (["string","null"] → "string"). */
export function schemaType(s: JSONSchema): string | undefined {
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null')
  if (s.type) return s.type
  if (s.properties) return 'object'
  if (s.enum || isConstOneOf(s)) return undefined
  return undefined
}

function isConstOneOf(s: JSONSchema): boolean {
  const alts = s.oneOf ?? s.anyOf
  return !!alts && alts.length > 0 && alts.every((a) => a && 'const' in a)
}

export function enumOptions(s: JSONSchema): EnumOption[] {
  if (s.enum) {
    const names = s.enumNames ?? s['x-enumNames'] ?? []
    return s.enum.map((v, i) => ({ value: v as EnumOption['value'], label: names[i] ?? String(v) }))
  }
  const alts = s.oneOf ?? s.anyOf
  if (alts && isConstOneOf(s)) {
    return alts.map((a) => ({ value: a.const as EnumOption['value'], label: a.title ?? String(a.const) }))
  }
  return []
}

export function fieldKind(s: JSONSchema): FieldKind {
  if (s.enum || isConstOneOf(s)) return 'enum'
  const t = schemaType(s)
  switch (t) {
    case 'string':
      if (s.format === 'password') return 'password'
      if (s.format === 'textarea' || (s.maxLength ?? 0) > 200) return 'text'
      return 'string'
    case 'number':
      return 'number'
    case 'integer':
      return 'integer'
    case 'boolean':
      return 'boolean'
    case 'object':
      return s.properties ? 'object' : 'json'
    case 'array': {
      const it = s.items
      if (it && (it.enum || isConstOneOf(it))) return 'enum-array'
      if (it && schemaType(it) === 'string') return 'string-array'
      return 'json'
    }
    default:
      return 'json'
  }
}

/** Property names in display order (x-order, then declaration order). */
export function orderedKeys(s: JSONSchema): string[] {
  const props = s.properties ?? {}
  return Object.keys(props)
    .map((k, i) => ({ k, i, o: props[k]?.['x-order'] ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.o - b.o || a.i - b.i)
    .map((x) => x.k)
}

function clone<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T)
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/**
 * The value the form starts with: `value` where given, else the schema's
 * defaults; objects are always present so that nested fields can bind.
 */
export function initialValue(s: JSONSchema, value?: unknown): unknown {
  if (fieldKind(s) === 'object') {
    const src = isPlainObject(value) ? value : isPlainObject(s.default) ? s.default : {}
    const out: Record<string, unknown> = {}
    // keep unknown keys as they were (the server decides about them)
    for (const [k, v] of Object.entries(src)) out[k] = clone(v)
    for (const k of orderedKeys(s)) {
      const child = s.properties![k]!
      const v = initialValue(child, src[k])
      if (v !== undefined) out[k] = v
      else delete out[k]
    }
    return out
  }
  if (value !== undefined) return clone(value)
  return clone(s.default)
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === ''
}

/**
 * What the form emits: optional fields left empty ('' / null / undefined) are
 * dropped, and so are optional nested objects that ended up empty.
 */
export function cleanValue(s: JSONSchema, value: unknown): unknown {
  if (fieldKind(s) === 'object' && isPlainObject(value)) {
    const req = new Set(s.required ?? [])
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      const child = s.properties?.[k]
      const cv = child ? cleanValue(child, v) : v
      if (isEmpty(cv) && !req.has(k)) continue
      if (child && fieldKind(child) === 'object' && isPlainObject(cv) && Object.keys(cv).length === 0 && !req.has(k)) continue
      out[k] = cv
    }
    return out
  }
  return value
}

export interface SchemaError {
  /** Dotted path of the field ("a.b"); "" for the root. */
  path: string
  /** i18n key under schemaForm.* */
  key: string
  params?: Record<string, unknown>
}

function countChars(s: string): number {
  return [...s].length
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key
}

function exclusiveMin(s: JSONSchema): number | undefined {
  if (typeof s.exclusiveMinimum === 'number') return s.exclusiveMinimum
  if (s.exclusiveMinimum === true && typeof s.minimum === 'number') return s.minimum
  return undefined
}
function exclusiveMax(s: JSONSchema): number | undefined {
  if (typeof s.exclusiveMaximum === 'number') return s.exclusiveMaximum
  if (s.exclusiveMaximum === true && typeof s.maximum === 'number') return s.maximum
  return undefined
}

function checkNumber(s: JSONSchema, v: number, path: string, integer: boolean): SchemaError[] {
  if (integer && !Number.isInteger(v)) return [{ path, key: 'integer' }]
  const xmin = exclusiveMin(s)
  const xmax = exclusiveMax(s)
  if (xmin !== undefined && !(v > xmin)) return [{ path, key: 'exclusiveMinimum', params: { n: xmin } }]
  if (xmax !== undefined && !(v < xmax)) return [{ path, key: 'exclusiveMaximum', params: { n: xmax } }]
  if (typeof s.minimum === 'number' && s.exclusiveMinimum !== true && v < s.minimum)
    return [{ path, key: 'minimum', params: { n: s.minimum } }]
  if (typeof s.maximum === 'number' && s.exclusiveMaximum !== true && v > s.maximum)
    return [{ path, key: 'maximum', params: { n: s.maximum } }]
  if (typeof s.multipleOf === 'number' && s.multipleOf > 0) {
    const q = v / s.multipleOf
    if (Math.abs(q - Math.round(q)) > 1e-9) return [{ path, key: 'number' }]
  }
  return []
}

function checkString(s: JSONSchema, v: string, path: string): SchemaError[] {
  if (typeof s.minLength === 'number' && countChars(v) < s.minLength) return [{ path, key: 'minLength', params: { n: s.minLength } }]
  if (typeof s.maxLength === 'number' && countChars(v) > s.maxLength) return [{ path, key: 'maxLength', params: { n: s.maxLength } }]
  if (s.pattern) {
    let re: RegExp | null = null
    try {
      re = new RegExp(s.pattern, 'u')
    } catch {
      re = null // a pattern we cannot compile is left to the server
    }
    if (re && !re.test(v)) return [{ path, key: 'pattern' }]
  }
  return []
}

/** Validates `value` against the schema; one error at most per field. */
export function validateValue(s: JSONSchema, value: unknown, path = '', required = false): SchemaError[] {
  const kind = fieldKind(s)
  if (kind === 'object') {
    if (value === undefined || value === null) return required ? [{ path, key: 'required' }] : []
    if (!isPlainObject(value)) return [{ path, key: 'enum' }]
    const req = new Set(s.required ?? [])
    const out: SchemaError[] = []
    for (const k of orderedKeys(s)) {
      out.push(...validateValue(s.properties![k]!, value[k], join(path, k), req.has(k)))
    }
    return out
  }
  if (isEmpty(value)) return required ? [{ path, key: 'required' }] : []
  switch (kind) {
    case 'enum': {
      const ok = enumOptions(s).some((o) => o.value === value)
      return ok ? [] : [{ path, key: 'enum' }]
    }
    case 'string':
    case 'text':
    case 'password':
      return typeof value === 'string' ? checkString(s, value, path) : [{ path, key: 'pattern' }]
    case 'number':
    case 'integer':
      if (typeof value !== 'number' || !Number.isFinite(value)) return [{ path, key: 'number' }]
      return checkNumber(s, value, path, kind === 'integer')
    case 'boolean':
      return typeof value === 'boolean' ? [] : [{ path, key: 'enum' }]
    case 'string-array':
    case 'enum-array': {
      if (!Array.isArray(value)) return [{ path, key: 'enum' }]
      if (typeof s.minItems === 'number' && value.length < s.minItems) return [{ path, key: 'minItems', params: { n: s.minItems } }]
      if (typeof s.maxItems === 'number' && value.length > s.maxItems) return [{ path, key: 'maxItems', params: { n: s.maxItems } }]
      if (s.uniqueItems && new Set(value.map((x) => JSON.stringify(x))).size !== value.length) return [{ path, key: 'uniqueItems' }]
      const item = s.items!
      for (const v of value) {
        const errs = kind === 'enum-array' ? validateValue(item, v, path, true) : typeof v === 'string' ? checkString(item, v, path) : [{ path, key: 'pattern' }]
        if (errs.length) return errs.slice(0, 1)
      }
      return []
    }
    default:
      return []
  }
}

/**
 * The schema with its local references ("#/$defs/x", "#/definitions/x")
 * replaced by what they name (keywords beside the $ref, like a description,
 * win), so that a referenced field gets its own control instead of raw JSON.
 * A reference that loops, or that names nothing, is left as it is (edited as
 * JSON).
 */
export function resolveRefs(root: JSONSchema): JSONSchema {
  const walk = (v: unknown, seen: string[]): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, seen))
    if (!v || typeof v !== 'object') return v
    const obj = v as Record<string, unknown>
    const ref = obj.$ref
    if (typeof ref === 'string' && ref.startsWith('#/') && !seen.includes(ref)) {
      let target: unknown = root
      for (const part of ref.slice(2).split('/')) {
        target = target && typeof target === 'object' ? (target as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined
      }
      if (target && typeof target === 'object') {
        const { $ref: _r, ...rest } = obj
        return walk({ ...(target as Record<string, unknown>), ...rest }, [...seen, ref])
      }
    }
    const out: Record<string, unknown> = {}
    for (const [k, x] of Object.entries(obj)) out[k] = k === '$defs' || k === 'definitions' ? x : walk(x, seen)
    return out
  }
  return walk(root, []) as JSONSchema
}
