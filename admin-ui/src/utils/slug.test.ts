import { describe, expect, it } from 'vitest'
import { suggestSlug, validateSlug } from './slug'

describe('validateSlug', () => {
  it.each([
    ['abc', null],
    ['tea-shop-2', null],
    ['a1b', null],
    ['0abc9', null],
    ['a'.repeat(32), null],
    ['', 'required'],
    ['ab', 'too_short'],
    ['a'.repeat(33), 'too_long'],
    ['Tea', 'invalid_chars'],
    ['tea_shop', 'invalid_chars'],
    ['tea shop', 'invalid_chars'],
    ['茶铺', 'invalid_chars'],
    ['-abc', 'hyphen_edge'],
    ['abc-', 'hyphen_edge'],
    ['tea--shop', 'double_hyphen'],
    ['admin', 'reserved'],
    ['shop', 'reserved'],
  ])('%j → %s', (slug, want) => {
    expect(validateSlug(slug)).toBe(want)
  })
})

describe('suggestSlug', () => {
  it('derives a slug from ASCII shop names and gives up on others', () => {
    expect(suggestSlug('Tea & Co. Shop')).toBe('tea-co-shop')
    expect(suggestSlug('Café Übermut')).toBe('cafe-ubermut')
    expect(suggestSlug('茶铺')).toBe('')
    expect(suggestSlug('ab')).toBe('')
    expect(suggestSlug('Shop')).toBe('')
    expect(validateSlug(suggestSlug('x'.repeat(31) + ' yz'))).toBeNull()
  })
})
