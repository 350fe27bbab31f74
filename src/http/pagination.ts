import type { Pagination } from './serialize.js';

export interface PageRequest {
  page?: number;
  pageSize?: number;
}

export interface PaginationSettings {
  autoThreshold: number;
  defaultPageSize: number;
}

/** Slices `total` rows: explicit paging, or automatic above the threshold; a page past the end gives the last page. */
export function paginate(
  total: number,
  req: PageRequest,
  settings: PaginationSettings,
): { start: number; end: number; pagination: Pagination | null; autoPaginated: boolean } {
  const explicit = req.pageSize !== undefined || req.page !== undefined;
  const auto = !explicit && total > settings.autoThreshold;
  if (!explicit && !auto) return { start: 0, end: total, pagination: null, autoPaginated: false };
  const pageSize = req.pageSize ?? settings.defaultPageSize;
  const totalPages = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(req.page ?? 1, totalPages);
  const start = (page - 1) * pageSize;
  const end = Math.min(total, start + pageSize);
  return {
    start,
    end,
    autoPaginated: auto,
    pagination: {
      page,
      page_size: pageSize,
      total_items: total,
      total_pages: totalPages,
      has_prev: page > 1,
      has_next: page < totalPages,
    },
  };
}
