// Drives a command through a real pseudo-terminal (node-pty), as a person at a terminal would:
// type, wait for text on the screen, resize the window.
import * as pty from 'node-pty';

export class PtySession {
  output = '';
  private readonly term: pty.IPty;
  readonly exited: Promise<number>;

  constructor(file: string, args: string[], size: { cols: number; rows: number }, env: Record<string, string> = {}) {
    this.term = pty.spawn(file, args, { name: 'xterm', cols: size.cols, rows: size.rows, env: { ...process.env, ...env } as Record<string, string> });
    // busybox's shell asks the terminal where the cursor is (ESC [6n); a test reads the text only.
    this.term.onData((d) => { this.output += d.replace(/\x1b\[6n/g, ''); });
    this.exited = new Promise((resolve) => this.term.onExit((e) => resolve(e.exitCode)));
  }

  type(text: string): void {
    this.term.write(text);
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
  }

  /** Waits until the output after `from` matches; returns the match. */
  async waitFor(pattern: RegExp, from = 0, timeoutMs = 20_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.output.slice(from));
      if (m) return m;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; the terminal shows:\n${this.output.slice(from)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Types a command line and returns the output it printed before the next prompt. */
  async run(line: string, prompt: RegExp): Promise<string> {
    const from = this.output.length;
    this.type(`${line}\r`);
    const m = await this.waitFor(new RegExp(`${escape(line)}\\r*\\n([\\s\\S]*?)${prompt.source}`), from);
    return m[1].replace(/\r/g, '');
  }

  kill(): void {
    try { this.term.kill(); } catch { /* gone */ }
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
