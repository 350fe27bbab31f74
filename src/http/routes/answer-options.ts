import { DEFAULT_ANSWER_OPTIONS, type AnswerOptions } from '../../analysis/answer-service.js';

/** `options` of /ask and the agent envelope (analysis spec §4.1): unknown options are 422. */
export const answerOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enforce_citations: { type: 'boolean' },
    verify_numbers: { type: 'boolean' },
    audit_pack: { type: 'boolean' },
    max_rows: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;

export type AnswerOptionsBody = Partial<AnswerOptions>;

export function answerOptions(body: AnswerOptionsBody | undefined): AnswerOptions {
  return { ...DEFAULT_ANSWER_OPTIONS, ...(body ?? {}) };
}
