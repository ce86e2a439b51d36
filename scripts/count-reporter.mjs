// A node:test reporter that counts leaf tests, so npm test can end with "N passed, N failed".
export default async function* countReporter(source) {
  let passed = 0;
  let failed = 0;
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    if (event.data.details?.type === 'suite') continue;
    if (event.type === 'test:pass' && !event.data.skip && !event.data.todo) passed++;
    // A skipped test is not a pass: count it as failed so nothing hides behind a skip.
    else failed++;
  }
  yield `STRATA-COUNT ${passed} ${failed}\n`;
}
