import { BusinessError } from './errors.js';

export interface PageRequest {
  currentPage: number;
  pageSize: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  currentPage: number;
  pageSize: number;
  pageCount: number;
}

/**
 * fleet-api §1.4 and ota-api §1.6: CurrentPage ≥ 1, 1 ≤ PageSize ≤ max, CurrentPage × PageSize ≤ 100,000
 * (seed 004); anything else is iot.common.InvalidPageParams.
 */
export function checkPage(
  currentPage: number | undefined,
  pageSize: number | undefined,
  limits: { defaultSize: number; maxSize: number },
): PageRequest {
  const page = currentPage ?? 1;
  const size = pageSize ?? limits.defaultSize;
  if (page < 1 || size < 1 || size > limits.maxSize || page * size > 100_000) {
    throw new BusinessError('iot.common.InvalidPageParams');
  }
  return { currentPage: page, pageSize: size };
}

export function pageOf<T>(items: T[], total: number, request: PageRequest): Page<T> {
  return {
    items,
    total,
    currentPage: request.currentPage,
    pageSize: request.pageSize,
    pageCount: total === 0 ? 0 : Math.ceil(total / request.pageSize),
  };
}

export function offsetOf(request: PageRequest): number {
  return (request.currentPage - 1) * request.pageSize;
}
