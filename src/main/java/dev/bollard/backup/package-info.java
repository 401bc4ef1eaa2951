/**
 * Backups of a registry on the embedded database, taken while it serves, and their restore into a new data
 * directory: a transactionally consistent snapshot of the H2 database with every blob it names, each blob verified
 * by its digest on the way out and on the way in. docs/operations.md describes the procedure, and the one for
 * PostgreSQL + S3.
 */
package dev.bollard.backup;
