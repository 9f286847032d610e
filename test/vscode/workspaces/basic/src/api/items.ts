export function listItems(): string[] {
  return [];
}
