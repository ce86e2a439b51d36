// A `strata check` report in words, the same in the CLI (strata check) and in VS Code (Strata:
// Check Store): what was checked, each problem and what --repair did, the layers that cannot be
// verified yet, and whether problems remain. Pure: no vscode, no node:fs.
import type { StoreCheckReport } from './types';

/** The problems --repair did not fix (all of them, for a check without --repair). */
export function problemsRemaining(report: StoreCheckReport): number {
  return report.problems.filter((p) => !p.repaired).length;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export function checkReportText(report: StoreCheckReport): string {
  const { counts } = report;
  const unverified = report.unverifiable.length;
  const lines = [
    `Checked ${report.root}: ${plural(counts.layers, 'layer')} (${counts.verified} verified${unverified ? `, ${unverified} not verifiable yet` : ''}), `
      + `${plural(counts.images, 'image')}, ${plural(counts.tags, 'tag')}, ${plural(counts.containers, 'container')}.`,
    '',
  ];
  for (const p of report.problems) {
    lines.push(`${p.path}: ${p.problem}`);
    if (p.repaired) lines.push(`  repaired: ${p.repaired}`);
  }
  if (report.problems.length) lines.push('');
  const reasons = new Map<string, string[]>();
  for (const u of report.unverifiable) reasons.set(u.why, [...(reasons.get(u.why) ?? []), u.layer]);
  for (const [why, layers] of reasons) lines.push(`${plural(layers.length, 'layer')} ${why}:`, ...layers.map((l) => `  ${l}`), '');
  const left = problemsRemaining(report);
  if (!report.problems.length) lines.push('No problems found.');
  else if (!report.repair) lines.push(`${plural(left, 'problem')} found. Run strata check --repair to fix what can be fixed without losing data.`);
  else lines.push(`${plural(report.problems.length, 'problem')} found: ${report.problems.length - left} repaired, ${left} remain.`);
  if (report.lostAndFound) lines.push(`What could not be placed was moved to ${report.lostAndFound}.`);
  return lines.join('\n') + '\n';
}
