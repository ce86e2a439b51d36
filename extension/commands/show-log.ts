// strata.showLog: the "Strata" output channel, with every request to the helper and its messages.
import type { Services } from './services';

export function showLog(s: Services): void {
  s.log.show(true);
}
