import Foundation

/// What PostgreSQL adds to the shared `StoredForm` (JSON in `jsonb` columns, dates as Unix seconds):
/// dates are bound as `to_timestamp($n)` and read as `extract(epoch FROM column)::float8`, so the
/// server rounds them to the microsecond.
enum PostgresStoredForm {
  /// `date` as it reads back after a round trip through a `timestamptz` column.
  static func microseconds(_ date: Date) -> Date {
    Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1_000_000).rounded() / 1_000_000)
  }
}
