// What Strata's own terminals (a container's shell, its logs) share: the few colours they write
// their own lines in, and the transcript of the last kilobytes shown (for tests and bug reports).
export const RED = '\x1b[31m';
export const DIM = '\x1b[2m';
export const RESET = '\x1b[0m';

const TRANSCRIPT_CHARS = 32 * 1024;

export class Transcript {
  private recent = '';

  add(text: string): void {
    this.recent = (this.recent + text).slice(-TRANSCRIPT_CHARS);
  }

  text(): string {
    return this.recent;
  }
}
