// Go's text/tabwriter as Docker's tables use it (minwidth 10, tabwidth 1, padding 3, padded with
// spaces, no flags): tab-terminated cells aligned in column blocks, a column as wide as its widest
// cell plus the padding, and at least minwidth. The last cell of a line is not part of a column.

export interface TabwriterOptions { minwidth: number; padding: number }

export const DOCKER_TABWRITER: TabwriterOptions = { minwidth: 10, padding: 3 };

/** Aligns text whose cells end in tabs, as tabwriter.Writer's Flush does. */
export function tabwrite(text: string, opts: TabwriterOptions = DOCKER_TABWRITER): string {
  const lines = text.split('\n').map((l) => l.split('\t'));
  const widths: number[] = [];
  let out = '';
  const width = (cell: string) => [...cell].length;

  const writeLines = (line0: number, line1: number) => {
    for (let i = line0; i < line1; i++) {
      const line = lines[i];
      line.forEach((cell, j) => {
        out += cell;
        if (j < widths.length && j < line.length - 1) out += ' '.repeat(Math.max(0, widths[j] - width(cell)));
      });
      if (i + 1 < lines.length) out += '\n';
    }
  };

  // tabwriter's format(): a column block is a run of lines that have a cell in this column; its
  // width is fixed before the columns to its right are laid out, recursively.
  const format = (line0: number, line1: number) => {
    const column = widths.length;
    for (let row = line0; row < line1; row++) {
      if (column >= lines[row].length - 1) continue;
      writeLines(line0, row);
      line0 = row;
      let w = opts.minwidth;
      for (; row < line1 && column < lines[row].length - 1; row++) w = Math.max(w, width(lines[row][column]) + opts.padding);
      widths.push(w);
      format(line0, row);
      widths.pop();
      line0 = row;
    }
    writeLines(line0, line1);
  };

  format(0, lines.length);
  return out;
}
