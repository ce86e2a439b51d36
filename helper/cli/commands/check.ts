// `strata check [--repair]`: fsck for the store (engine/check.ts, store/check.ts). Prints what was
// checked and each problem (and, with --repair, what was done about it); exits 1 while problems
// remain, so that a script can tell a clean store from one that needs a look.
import { formatFlag, helpFlag } from '../args';
import { bool, type Command, protocolJson } from '../command';
import { json } from '../format';
import { checkReportText, problemsRemaining } from '../../protocol/check-report';

export const check: Command = {
  spec: {
    name: 'check', usage: '[OPTIONS]', summary: "Check the store: every layer's diff_id against its files, records against folders",
    flags: [
      { long: 'repair', kind: 'bool', help: 'Fix what can be fixed without losing data; move what cannot be placed to lost+found/' },
      formatFlag, helpFlag,
    ],
    maxArgs: 0,
    notes: ['Exit status: 0 when no problem remains, 1 otherwise.'],
  },
  async run(ctx) {
    const report = await (await ctx.client()).request('store.check', { repair: bool(ctx, 'repair') });
    ctx.out(protocolJson(ctx) ? json(report) : checkReportText(report));
    return problemsRemaining(report) ? 1 : 0;
  },
};
