export const MIN_PASSWORD = 10

export function passwordTooShort(p: string): boolean {
  return [...p].length < MIN_PASSWORD
}
