// strata.refresh: the views read again; after a failed connection, or when the connection
// settings changed, a new attempt to reach the helper first.
import type { Services } from './services';

export async function refresh(s: Services): Promise<void> {
  if (s.helper.state === 'failed' || s.helper.state === 'idle' || s.helper.settingsChanged()) {
    s.helper.reset();
    await s.helper.client();
  }
  s.images.refresh();
  s.containers.refresh();
}
