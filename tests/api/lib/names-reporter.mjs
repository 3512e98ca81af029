// A node:test reporter that prints one JSON line {file, name} per top-level test, run or skipped:
// each-alone.mjs runs the suite with a pattern nothing matches to list the names.
export default async function* names(source) {
  for await (const e of source) {
    if ((e.type === 'test:pass' || e.type === 'test:fail') && e.data.nesting === 0 && e.data.file) {
      yield `${JSON.stringify({ file: e.data.file, name: e.data.name })}\n`;
    }
  }
}
