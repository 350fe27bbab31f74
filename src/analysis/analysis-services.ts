/** The analysis layer of one process: answers, audit store and (once loaded) the question router. */
import type { QueryService } from '../data/query-service.js';
import type { Executor } from '../db/database.js';
import { AnswerService, utcDate } from './answer-service.js';
import { codeVersion } from './audit/manifest.js';
import { MemoryAuditStore, type AuditStore } from './audit/store.js';
import { PostgresAuditStore } from './audit/postgres-store.js';
import { createRouter, type QuestionRouter } from './router/router.js';
import { readLatestDataYear } from './router/latest-year.js';

export interface AnalysisServices {
  answers: AnswerService;
  audit: AuditStore;
  hmacKey: string | undefined;
  /** The question router, built on first use from config/router and the latest data year (then reused). */
  router(): Promise<QuestionRouter>;
}

export interface AnalysisServicesOptions {
  queries: QueryService;
  /** Manifests go to `audit_manifests` in this database; without one they are kept in memory (tests, benches). */
  db: Executor | undefined;
  version: string;
  /** QNWIS_CLOCK_DATE (tests); otherwise the current UTC date per answer. */
  clockDate: string | undefined;
  hmacKey: string | undefined;
  onAuditError?: (err: unknown) => void;
}

export function createAnalysisServices(opts: AnalysisServicesOptions): AnalysisServices {
  const audit: AuditStore = opts.db ? new PostgresAuditStore(opts.db) : new MemoryAuditStore();
  const fixed = opts.clockDate;
  const answers = new AnswerService({
    queries: opts.queries,
    clockDate: fixed ? () => fixed : () => utcDate(),
    codeVersion: codeVersion(opts.version),
    hmacKey: opts.hmacKey,
    audit,
    ...(opts.onAuditError ? { onAuditError: opts.onAuditError } : {}),
  });
  let router: Promise<QuestionRouter> | null = null;
  return {
    answers,
    audit,
    hmacKey: opts.hmacKey,
    router() {
      router ??= readLatestDataYear(answers.dataClient()).then((latestDataYear) => createRouter({ latestDataYear }));
      // A failure (database not reachable yet) is not cached: the next question tries again.
      router.catch(() => {
        router = null;
      });
      return router;
    },
  };
}
