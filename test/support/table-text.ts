/**
 * Reading rendered (colourless) cli-table3 text back into cells, so renderer
 * tests can say "the AUTH row reads — before TLS and PLAIN LOGIN after"
 * instead of matching whole drawings.
 */

/** sections: the blocks of renderCaps output by title (the first line of each block). */
export function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of text.split('\n\n')) {
    const nl = block.indexOf('\n');
    if (nl > 0) out.set(block.slice(0, nl), block.slice(nl + 1));
  }
  return out;
}

/**
 * tableRows: every body row of a table as trimmed cells. A line whose first
 * cell is empty continues the row above (a wrapped or multi-line cell); its
 * cells are appended with "\n".
 */
export function tableRows(text: string): string[][] {
  const rows: string[][] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('│')) continue;
    const cells = line
      .split('│')
      .slice(1, -1)
      .map((c) => c.trim());
    const prev = rows[rows.length - 1];
    if (cells[0] === '' && prev) {
      cells.forEach((c, i) => {
        if (c !== '') prev[i] = prev[i] ? `${prev[i]}\n${c}` : c;
      });
    } else {
      rows.push(cells);
    }
  }
  return rows;
}

/** row: the row whose first cell is `first`; throws (failing the test) with the rows seen when there is none. */
export function row(text: string, first: string): string[] {
  const rows = tableRows(text);
  const found = rows.find((r) => r[0] === first);
  if (!found) throw new Error(`no row "${first}" in:\n${text}`);
  return found;
}
