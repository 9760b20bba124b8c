/**
 * Statements Kysely builds and compiles once per shape; later writes reuse the SQL text (and the
 * adapter's prepared statement) with fresh parameters, so hot paths skip the query builder.
 *
 * @module
 */
import { CompiledQuery } from "kysely";
import type { DialectName } from "./dialect.ts";

const sqlByShape = new Map<string, string>();
/** The cached statements by SQL text, each with a name for a server-side prepared statement. */
const nameBySql = new Map<string, string>();

/**
 * The prepared-statement name of `sql` if it is one of the reused statements (a bounded set: one
 * per shape), else undefined. PostgreSQL connections prepare these once and skip parsing and
 * planning them again (`db/postgres.ts`).
 */
export function preparedStatementName(sql: string): string | undefined {
  return nameBySql.get(sql);
}

/**
 * The statement of shape `shape` in `dialect`'s SQL bound to `parameters`. On first use `build`
 * compiles it with Kysely; its SQL is cached only if Kysely bound exactly `parameters`, in order.
 */
export function reusableStatement(
  dialect: DialectName,
  shape: string,
  parameters: readonly unknown[],
  build: () => CompiledQuery,
): CompiledQuery {
  const key = `${dialect}:${shape}`;
  const cached = sqlByShape.get(key);
  if (cached) return CompiledQuery.raw(cached, [...parameters]);
  const compiled = build();
  if (
    compiled.parameters.length !== parameters.length ||
    compiled.parameters.some((value, i) => value !== parameters[i])
  ) {
    throw new Error(`${shape}: Kysely bound parameters in an unexpected order`);
  }
  sqlByShape.set(key, compiled.sql);
  if (!nameBySql.has(compiled.sql)) nameBySql.set(compiled.sql, `archivist_${nameBySql.size + 1}`);
  return compiled;
}
