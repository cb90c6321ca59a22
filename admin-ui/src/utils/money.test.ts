import { describe, expect, it } from 'vitest'
import {
  addDec,
  compareDec,
  formatMoney,
  formatPriceRange,
  formatRate,
  isDecimal,
  moneyProblem,
  mulDec,
  percentToRate,
  roundHalfEven,
  subDec,
} from './money'

describe('money', () => {
  it('recognises plain decimals only', () => {
    expect(isDecimal('12')).toBe(true)
    expect(isDecimal('-0.50')).toBe(true)
    expect(isDecimal('1e3')).toBe(false)
    expect(isDecimal('1,000')).toBe(false)
    expect(isDecimal('')).toBe(false)
  })

  it('adds and subtracts exactly', () => {
    expect(addDec('0.1', '0.2')).toBe('0.3')
    expect(addDec('99999999.99', '0.01')).toBe('100000000.00')
    expect(subDec('10', '0.01')).toBe('9.99')
    expect(subDec('0.01', '10')).toBe('-9.99')
    expect(mulDec('19.99', '0.95')).toBe('18.9905')
  })

  it('rounds half to even', () => {
    expect(roundHalfEven('2.345')).toBe('2.34')
    expect(roundHalfEven('2.355')).toBe('2.36')
    expect(roundHalfEven('2.3451')).toBe('2.35')
    expect(roundHalfEven('-2.345')).toBe('-2.34')
    expect(roundHalfEven('7')).toBe('7.00')
    expect(roundHalfEven('0.005')).toBe('0.00')
    expect(roundHalfEven('0.015')).toBe('0.02')
  })

  it('compares beyond float precision', () => {
    expect(compareDec('9007199254740993.01', '9007199254740993.02')).toBe(-1)
    expect(compareDec('1.10', '1.1')).toBe(0)
    expect(compareDec('2', '-3')).toBe(1)
  })

  it('formats amounts for display', () => {
    expect(formatMoney('1234567.5')).toBe('¥1,234,567.50')
    expect(formatMoney('0')).toBe('¥0.00')
    expect(formatMoney('-12.345')).toBe('-¥12.34')
    expect(formatMoney('12.3456', 'USD')).toBe('$12.35')
    expect(formatMoney('1500', 'JPY')).toBe('¥1,500')
    expect(formatMoney(null)).toBe('—')
    expect(formatMoney('abc')).toBe('—')
    expect(formatPriceRange('10', '10.00')).toBe('¥10.00')
    expect(formatPriceRange('10', '25.5')).toBe('¥10.00 – ¥25.50')
  })

  it('converts rates and percentages exactly', () => {
    expect(formatRate('0.1')).toBe('10%')
    expect(formatRate('0.125')).toBe('12.5%')
    expect(percentToRate('10')).toBe('0.1')
    expect(percentToRate('12.5')).toBe('0.125')
    expect(percentToRate('0')).toBe('0')
  })

  it('validates money inputs', () => {
    expect(moneyProblem('12.50')).toBe('')
    expect(moneyProblem('12.500')).toBe('')
    expect(moneyProblem('12.505')).toBe('scale')
    expect(moneyProblem('-1')).toBe('format')
    expect(moneyProblem('1e2')).toBe('format')
    expect(moneyProblem('100000000', { max: '99999999.99' })).toBe('max')
    expect(moneyProblem('0', { allowZero: false })).toBe('zero')
  })
})
