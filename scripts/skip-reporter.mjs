// node:test reporter that writes the skipped tests (name, file, reason) as JSON lines; scripts/test.mjs
// prints one summary line from them after the run.
export default async function* skipReporter(source) {
  for await (const event of source) {
    if (event.type === 'test:pass' && event.data.skip !== undefined) {
      const reason = typeof event.data.skip === 'string' ? event.data.skip : 'skipped';
      yield JSON.stringify({ name: event.data.name, file: event.data.file, reason }) + '\n';
    }
  }
}
