// What the server accepts as an uploaded image (core/catalog: sniffed
// JPEG, PNG, WebP or GIF, at most 5 MiB), checked before uploading so the
// merchant hears at once; the server checks again and decides.
export const IMAGE_ACCEPT = 'image/jpeg,image/png,image/webp,image/gif'
export const MAX_IMAGE_BYTES = 5 << 20

/** The locale key of the reason the file is refused, or '' when it may go. */
export function imageFileProblem(file: { type: string; size: number }): '' | 'products.imageType' | 'products.imageSize' {
  if (!/^image\/(jpeg|png|webp|gif)$/.test(file.type)) return 'products.imageType'
  if (file.size > MAX_IMAGE_BYTES) return 'products.imageSize'
  return ''
}
