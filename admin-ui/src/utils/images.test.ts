import { describe, expect, it } from 'vitest'
import { MAX_IMAGE_BYTES, imageFileProblem } from './images'

describe('imageFileProblem', () => {
  it.each([
    [{ type: 'image/png', size: 10 }, ''],
    [{ type: 'image/webp', size: MAX_IMAGE_BYTES }, ''],
    [{ type: 'image/svg+xml', size: 10 }, 'products.imageType'],
    [{ type: 'text/html', size: 10 }, 'products.imageType'],
    [{ type: 'image/jpeg', size: MAX_IMAGE_BYTES + 1 }, 'products.imageSize'],
  ])('%o → %s', (file, want) => {
    expect(imageFileProblem(file)).toBe(want)
  })
})
