export function NoteList({ notes }: { notes: { id: number; text: string }[] }) {
  return <ul>{notes.map((n) => <li key={n.id}>{n.text}</li>)}</ul>;
}
