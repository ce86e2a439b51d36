// --format as Docker's CLI applies it (docker/cli formatter.Context and inspect.Inspect): "table"
// and "json" keywords, a "table ..." template aligned under a header row made from the same
// template over the column names, any other template one line per row, and for inspect the
// indented JSON array, "json", or a template per object with its errors after the output.
import { CommandError } from './command';
import { type ListKind, headerData } from './docker-rows';
import { escapeHtml, HEADER_FUNCS, tabwrite, Template, TemplateExecError, TemplateSyntaxError } from './template';

/** The template a --format value stands for (formatter.Format.templateString). */
export function listTemplate(format: string | undefined, kind: ListKind): { source: string; table: boolean } {
  let source = format === undefined || format === '' || format === 'table' ? kind.defaultTable : format === 'json' ? '{{json .}}' : format;
  const table = source.startsWith('table');
  if (table) source = source.slice('table'.length);
  source = source.replace(/^ +| +$/g, '').replace(/\\t/g, '\t').replace(/\\n/g, '\n');
  return { source, table };
}

export function parseListTemplate(source: string): Template {
  try {
    return Template.parse(source);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw new CommandError(`failed to parse template: ${err.message}`);
    throw err;
  }
}

/** Every row through the template, one line each; a table gets its header row and Go's tabwriter. */
export function renderList(format: string | undefined, kind: ListKind, rows: object[]): string {
  const { source, table } = listTemplate(format, kind);
  const template = parseListTemplate(source);
  let body = '';
  for (const r of rows) {
    try {
      body += `${template.execute(r)}\n`;
    } catch (err) {
      if (err instanceof TemplateExecError) throw new CommandError(`failed to execute template: ${err.message}`);
      throw err;
    }
  }
  if (!table) return body;
  // Docker renders the header with the same template over the column names, ignoring its errors.
  const header = template.executePartial(headerData(kind), HEADER_FUNCS);
  return tabwrite(`${header}\n${body}`);
}

/** docker inspect's output: the JSON array (HTML-escaped, as the daemon's raw JSON is), or a template's. */
export function renderInspect(format: string | undefined, docs: object[]): { out: string; errors: string[] } {
  if (format === undefined || format === '') return { out: docs.length ? `${escapeHtml(JSON.stringify(docs, null, 4))}\n` : '[]\n', errors: [] };
  if (format === 'json') return { out: `${escapeHtml(JSON.stringify(docs))}\n`, errors: [] };
  let template: Template;
  try {
    template = Template.parse(format);
  } catch (err) {
    if (err instanceof TemplateSyntaxError) throw new CommandError(`template parsing error: ${err.message}`, 64);
    throw err;
  }
  let out = '';
  const errors: string[] = [];
  for (const doc of docs) {
    try {
      // Docker falls back to the raw JSON with missingkey=error when a field is not in its type.
      out += `${template.execute(doc, undefined, { missingField: 'map' })}\n`;
    } catch (err) {
      if (!(err instanceof TemplateExecError)) throw err;
      errors.push(`template parsing error: ${err.message}`);
    }
  }
  return { out: out || '\n', errors };
}
