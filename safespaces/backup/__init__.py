"""Backups that can be restored: `manage.py backup` and `manage.py restore`.

An archive is a gzip-compressed tar file (`safespaces-backup-<UTC time>.tar.gz`, mode 0600) that
`tar -tzf` lists. It holds, in this order:

- `database/postgres.dump`: `pg_dump --format=custom` of the whole database, taken in one
  snapshot (Postgres); or `database/db.sqlite3`, a copy made with SQLite's online backup API;
- `attachments/<stored name>`: every file of the attachments storage, as stored: ciphertext that
  opens only with keys sealed in the database;
- `manifest.json`, last: the format and its version, when the backup was made and with which
  tool, the number of rows of each table, and the SHA-256 and size of every other member.

It never holds a key: the keys come from the environment, and restoring needs the same keys from
the key backup (docs/operations.md). Members are described in `services.py`, databases in
`databases.py`.
"""
