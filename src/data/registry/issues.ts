/** Load-time validation problems (data-layer spec §1.4). */
export type SpecIssueCode =
  | 'yaml_syntax'
  | 'yaml_feature'
  | 'unknown_key'
  | 'missing_field'
  | 'invalid_type'
  | 'invalid_value'
  | 'duplicate_id'
  | 'unknown_transform'
  | 'unsafe_pattern'
  | 'unsafe_sql'
  | 'sql_placeholder'
  | 'catalog_invalid';

export interface SpecIssue {
  /** Field path such as `params.max_rows`, `postprocess[1].params.n`, `params.args[0].type`; `(root)` for the document. */
  path: string;
  code: SpecIssueCode;
  message: string;
}

/** One error line: `<relative file path>: <field path>: <code>: <message>`. */
export function formatIssue(file: string, issue: SpecIssue): string {
  return `${file}: ${issue.path}: ${issue.code}: ${issue.message}`;
}
