export function App() {
  return <main>Acme Notes</main>;
}
