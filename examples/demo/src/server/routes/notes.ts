export function notes(): { id: number; text: string }[] {
  return [{ id: 1, text: 'Remember the milk' }];
}
