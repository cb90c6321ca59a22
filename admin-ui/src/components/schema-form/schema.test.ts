import { describe, expect, it } from 'vitest'
import { cleanValue, enumOptions, fieldKind, initialValue, orderedKeys, resolveRefs, validateValue, type JSONSchema } from './schema'

const commission: JSONSchema = {
  type: 'object',
  required: ['depth', 'rates'],
  properties: {
    depth: { type: 'integer', title: 'Depth', minimum: 1, maximum: 3, default: 2 },
    rates: {
      type: 'object',
      required: ['level1'],
      properties: {
        level1: { type: 'string', pattern: '^0(\\.\\d{1,4})?$', default: '0.10' },
        level2: { type: 'string', pattern: '^0(\\.\\d{1,4})?$' },
      },
    },
    self_purchase: { type: 'boolean', default: false },
    mode: { enum: ['fixed', 'percent'], enumNames: ['Fixed', 'Percent'] },
    channel: { type: 'string', oneOf: [{ const: 'wechat', title: 'WeChat' }, { const: 'alipay', title: 'Alipay' }] },
    tags: { type: 'array', items: { type: 'string', minLength: 2 }, maxItems: 3, uniqueItems: true },
    kinds: { type: 'array', items: { enum: ['a', 'b'] } },
    note: { type: 'string', maxLength: 500 },
    secret: { type: 'string', format: 'password', minLength: 8 },
    ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
    tiers: { type: 'array', items: { type: 'object', properties: { min: { type: 'number' } } } },
    label: { type: ['string', 'null'], title: 'Label' },
  },
}

describe('fieldKind', () => {
  it('maps schema parts to controls', () => {
    const p = commission.properties!
    expect(fieldKind(p.depth!)).toBe('integer')
    expect(fieldKind(p.rates!)).toBe('object')
    expect(fieldKind(p.self_purchase!)).toBe('boolean')
    expect(fieldKind(p.mode!)).toBe('enum')
    expect(fieldKind(p.channel!)).toBe('enum')
    expect(fieldKind(p.tags!)).toBe('string-array')
    expect(fieldKind(p.kinds!)).toBe('enum-array')
    expect(fieldKind(p.note!)).toBe('text')
    expect(fieldKind(p.secret!)).toBe('password')
    expect(fieldKind(p.ratio!)).toBe('number')
    expect(fieldKind(p.tiers!)).toBe('json')
    expect(fieldKind(p.label!)).toBe('string')
  })

  it('labels enum options', () => {
    expect(enumOptions(commission.properties!.mode!)).toEqual([
      { value: 'fixed', label: 'Fixed' },
      { value: 'percent', label: 'Percent' },
    ])
    expect(enumOptions(commission.properties!.channel!).map((o) => o.label)).toEqual(['WeChat', 'Alipay'])
  })

  it('orders fields by x-order, then declaration', () => {
    expect(orderedKeys({ properties: { b: {}, a: { 'x-order': 1 }, c: {} } })).toEqual(['a', 'b', 'c'])
  })
})

describe('initialValue', () => {
  it('fills defaults, including nested objects', () => {
    expect(initialValue(commission)).toEqual({ depth: 2, rates: { level1: '0.10' }, self_purchase: false })
  })
  it('keeps given values over defaults, and unknown keys', () => {
    expect(initialValue(commission, { depth: 3, rates: { level2: '0.05' }, extra: 1 })).toEqual({
      depth: 3,
      rates: { level1: '0.10', level2: '0.05' },
      self_purchase: false,
      extra: 1,
    })
  })
})

describe('validateValue', () => {
  const ok = { depth: 2, rates: { level1: '0.10' } }
  const errs = (v: unknown) => validateValue(commission, v, '', true).map((e) => [e.path, e.key, e.params?.n])

  it('accepts a valid config', () => {
    expect(errs(ok)).toEqual([])
  })
  it('reports required fields, nested ones by dotted path', () => {
    expect(errs({ rates: {} })).toEqual([
      ['depth', 'required', undefined],
      ['rates.level1', 'required', undefined],
    ])
    expect(errs({ depth: 2 })).toEqual([['rates', 'required', undefined]])
  })
  it('checks min/max, integer, exclusive bounds', () => {
    expect(errs({ ...ok, depth: 4 })).toEqual([['depth', 'maximum', 3]])
    expect(errs({ ...ok, depth: 0 })).toEqual([['depth', 'minimum', 1]])
    expect(errs({ ...ok, depth: 1.5 })).toEqual([['depth', 'integer', undefined]])
    expect(errs({ ...ok, ratio: 0 })).toEqual([['ratio', 'exclusiveMinimum', 0]])
    expect(errs({ ...ok, ratio: 1 })).toEqual([['ratio', 'exclusiveMaximum', 1]])
    expect(errs({ ...ok, ratio: 0.5 })).toEqual([])
  })
  it('checks pattern and lengths', () => {
    expect(errs({ ...ok, rates: { level1: '1.5' } })).toEqual([['rates.level1', 'pattern', undefined]])
    expect(errs({ ...ok, secret: 'short' })).toEqual([['secret', 'minLength', 8]])
    expect(errs({ ...ok, note: 'x'.repeat(501) })).toEqual([['note', 'maxLength', 500]])
  })
  it('checks enums and arrays', () => {
    expect(errs({ ...ok, mode: 'other' })).toEqual([['mode', 'enum', undefined]])
    expect(errs({ ...ok, channel: 'alipay' })).toEqual([])
    expect(errs({ ...ok, tags: ['aa', 'bb', 'cc', 'dd'] })).toEqual([['tags', 'maxItems', 3]])
    expect(errs({ ...ok, tags: ['aa', 'aa'] })).toEqual([['tags', 'uniqueItems', undefined]])
    expect(errs({ ...ok, tags: ['a'] })).toEqual([['tags', 'minLength', 2]])
    expect(errs({ ...ok, kinds: ['a', 'z'] })).toEqual([['kinds', 'enum', undefined]])
  })
  it('ignores empty optional fields', () => {
    expect(errs({ ...ok, secret: '', label: null, mode: undefined })).toEqual([])
  })
})

describe('cleanValue', () => {
  it('drops empty optional fields and empty optional objects', () => {
    const schema: JSONSchema = {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string' },
        note: { type: 'string' },
        n: { type: 'number' },
        opt: { type: 'object', properties: { x: { type: 'string' } } },
      },
    }
    expect(cleanValue(schema, { name: '', note: '', n: null, opt: { x: '' } })).toEqual({ name: '' })
    expect(cleanValue(schema, { name: 'a', n: 0, opt: { x: 'y' } })).toEqual({ name: 'a', n: 0, opt: { x: 'y' } })
  })
})

describe('resolveRefs', () => {
  it('replaces local references, keeps sibling keywords, leaves loops and unknown ones', () => {
    const s = resolveRefs({
      type: 'object',
      $defs: { rates: { type: 'array', items: { type: 'string' }, description: 'def' }, loop: { $ref: '#/$defs/loop' } },
      properties: {
        rates: { $ref: '#/$defs/rates', description: 'own' } ,
        loop: { $ref: '#/$defs/loop' },
        missing: { $ref: '#/$defs/nope' },
      },
    })
    expect(s.properties?.rates).toEqual({ type: 'array', items: { type: 'string' }, description: 'own' })
    expect(fieldKind(s.properties!.rates)).toBe('string-array')
    expect(s.properties?.loop).toEqual({ $ref: '#/$defs/loop' })
    expect(s.properties?.missing).toEqual({ $ref: '#/$defs/nope' })
  })
})
