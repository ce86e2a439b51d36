// A node:test reporter that counts leaf tests, so npm test can end with "N passed, N failed",
// and names each failed test on a "STRATA-FAIL" line, so that the end of npm test's output can
// list them again: CI shows only the tail of a long run, and the spec reporter's own list of
// failures comes before the VS Code suite's output.
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') continue;
    if (event.type === 'test:pass' && !event.data.skip && !event.data.todo) { passed++; continue; }
    // A skipped test is not a pass: count it as failed so nothing hides behind a skip.
    failed++;
    const why = event.type === 'test:pass' ? (event.data.skip ? 'skipped' : 'todo') : firstLine(event.data.details?.error);
    yield `STRATA-FAIL ${event.data.file ?? '?'} > ${event.data.name}: ${why}\n`;
  }
  yield `STRATA-COUNT ${passed} ${failed}\n`;
}

/** The error's own message (a node:test failure wraps it as its cause), on one line, cut short. */
function firstLine(error) {
  const inner = error?.cause ?? error;
  const text = String(inner?.message ?? inner ?? 'failed').split('\n').find((l) => l.trim()) ?? 'failed';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
