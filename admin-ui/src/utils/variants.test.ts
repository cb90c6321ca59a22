import { describe, expect, it } from 'vitest'
import { buildMatrix, cleanSpecs, combinations, fillColumn, fromSku, specLabel, specsProblem, toSkuInput, type VariantRow } from './variants'

const color = { name: '颜色', values: ['红', '蓝'] }
const size = { name: '尺码', values: ['S', 'M', 'L'] }

describe('variant matrix', () => {
  it('is one row for a product without specs', () => {
    const rows = buildMatrix([], [], 'TEE')
    expect(rows).toHaveLength(1)
    expect(rows[0]!.spec).toEqual({})
    expect(rows[0]!.code).toBe('TEE-1')
  })

  it('is the cartesian product, first attribute slowest', () => {
    const rows = buildMatrix([color, size], [], 'TEE')
    expect(rows.map((r) => specLabel(r.spec, [color, size]))).toEqual(['红 / S', '红 / M', '红 / L', '蓝 / S', '蓝 / M', '蓝 / L'])
    expect(rows.map((r) => r.code)).toEqual(['TEE-1', 'TEE-2', 'TEE-3', 'TEE-4', 'TEE-5', 'TEE-6'])
  })

  it('ignores blank and repeated values', () => {
    expect(cleanSpecs([{ name: ' 颜色 ', values: ['红', ' ', '红', '蓝'] }, { name: '', values: ['x'] }])).toEqual([{ name: '颜色', values: ['红', '蓝'] }])
    expect(combinations([{ name: 'a', values: [] }])).toEqual([])
  })

  it('keeps what was typed when values are added or removed', () => {
    let rows = buildMatrix([color], [], '')
    rows = rows.map((r, i) => ({ ...r, code: `C${i}`, price: i ? '20.00' : '10.00', stock: 5 }))
    const more = buildMatrix([{ name: '颜色', values: ['红', '绿', '蓝'] }], rows, 'X')
    expect(more.map((r) => [r.spec['颜色'], r.code, r.price])).toEqual([
      ['红', 'C0', '10.00'],
      ['绿', 'X-1', ''],
      ['蓝', 'C1', '20.00'],
    ])
    const fewer = buildMatrix([{ name: '颜色', values: ['蓝'] }], more, 'X')
    expect(fewer.map((r) => r.code)).toEqual(['C1'])
  })

  it('keeps the single SKU and existing rows when an attribute is added', () => {
    const single: VariantRow[] = [{ id: 'sku1', spec: {}, code: 'ONE', price: '9.90', original_price: '', cost: '', stock: 3, weight: '' }]
    const rows = buildMatrix([color], single, 'P')
    expect(rows[0]).toMatchObject({ id: 'sku1', code: 'ONE', price: '9.90', spec: { 颜色: '红' } })
    expect(rows[1]).toMatchObject({ code: 'P-1', price: '' })
    expect(rows[1]!.id).toBeUndefined()
  })

  it('never generates a code another row already has', () => {
    const prev: VariantRow[] = [{ spec: { 颜色: '蓝' }, code: 'X-1', price: '1', original_price: '', cost: '', stock: 0, weight: '' }]
    const rows = buildMatrix([color], prev, 'X')
    expect(rows.map((r) => r.code)).toEqual(['X-2', 'X-1'])
  })

  it('refuses what the server refuses', () => {
    expect(specsProblem([color, size])).toBe('')
    expect(specsProblem([color, size, { name: 'c', values: ['1'] }, { name: 'd', values: ['1'] }])).toBe('too_many_specs')
    expect(specsProblem([color, { name: '颜色', values: ['x'] }])).toBe('duplicate_name')
    const many = Array.from({ length: 30 }, (_, i) => String(i))
    expect(specsProblem([{ name: 'a', values: many }, { name: 'b', values: many }])).toBe('too_many_skus')
  })

  it('fills a column and converts to and from the wire', () => {
    const rows = fillColumn(buildMatrix([color], [], 'T'), 'price', '12.50')
    expect(rows.every((r) => r.price === '12.50')).toBe(true)
    expect(toSkuInput({ ...rows[0]!, cost: ' ', weight: '0.5' })).toEqual({
      code: 'T-1',
      spec: { 颜色: '红' },
      price: '12.50',
      original_price: null,
      cost: null,
      stock: 0,
      weight: '0.5',
    })
    expect(fromSku({ id: 's', code: 'c', spec: null, price: '1.00', original_price: null, stock: 2 })).toEqual({
      id: 's',
      spec: {},
      code: 'c',
      price: '1.00',
      original_price: '',
      cost: '',
      stock: 2,
      weight: '',
    })
  })
})
