/** A unique constraint refused the write: PostgreSQL SQLSTATE 23505, SQLite's extended result code. */
export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}
