/// The on-disk layout: SQL text only (calls go through `SQLiteDatabase`).
///
/// - `objects`: the current value of every key, with the revisions that created and last
///   wrote it.
/// - `events`: one row per revision (revisions are dense: every revision is exactly one
///   create, update or delete), so a watch replays history from here after a restart.
///   `value` is NULL for DELETED; `prev_value` is NULL for ADDED.
/// - `meta`: `revision` (the latest committed) and `compacted` (history through it dropped).
///
/// A write changes `objects`, `events` and `meta.revision` in one transaction.
enum Schema {
    static let version = 1

    static let create = """
        CREATE TABLE IF NOT EXISTS objects(
            key TEXT PRIMARY KEY,
            value BLOB NOT NULL,
            create_rev INTEGER NOT NULL,
            mod_rev INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS events(
            rev INTEGER PRIMARY KEY,
            key TEXT NOT NULL,
            type TEXT NOT NULL CHECK (type IN ('ADDED', 'MODIFIED', 'DELETED')),
            value BLOB,
            prev_value BLOB);
        CREATE TABLE IF NOT EXISTS meta(
            name TEXT PRIMARY KEY,
            value INTEGER NOT NULL);
        INSERT OR IGNORE INTO meta(name, value) VALUES ('revision', 0), ('compacted', 0);
        PRAGMA user_version = \(version);
        """

    static let selectObject = "SELECT value, create_rev, mod_rev FROM objects WHERE key = ?1"
    static let insertObject = "INSERT INTO objects(key, value, create_rev, mod_rev) VALUES (?1, ?2, ?3, ?3)"
    static let updateObject = "UPDATE objects SET value = ?2, mod_rev = ?3 WHERE key = ?1"
    static let deleteObject = "DELETE FROM objects WHERE key = ?1"
    static let insertEvent = "INSERT INTO events(rev, key, type, value, prev_value) VALUES (?1, ?2, ?3, ?4, ?5)"
    static let deleteEvents = "DELETE FROM events WHERE rev <= ?1"
    static let selectMeta = "SELECT value FROM meta WHERE name = ?1"
    static let setMeta = "UPDATE meta SET value = ?2 WHERE name = ?1"
    /// ?1 prefix, ?2 upper bound of the prefix, ?3 continue-after key, ?4 limit (-1: none).
    static let listObjects = """
        SELECT key, value, create_rev, mod_rev FROM objects
        WHERE key >= ?1 AND key < ?2 AND key > ?3 ORDER BY key LIMIT ?4
        """
    static let selectEvents = "SELECT rev, key, type, value, prev_value FROM events WHERE rev > ?1 ORDER BY rev LIMIT ?2"
    static let maxEventRevision = "SELECT coalesce(max(rev), 0) FROM events"
}
