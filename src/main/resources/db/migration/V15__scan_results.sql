-- Scan results per stored image manifest (docs/scanning.md, "Scanning on push"). A push enqueues a scan (work queue
-- 'scan', V10) and writes its row here as 'queued' in the push's transaction; a worker on any node indexes the image,
-- matches it and stores what it found: state 'done', or 'failed' / 'unsupported' with the reason users see. import_id
-- is the last vulnerability data import (vuln_import.id, V12) the findings were matched against: the re-match worker
-- matches again what a later import changed, from the stored packages, without indexing the image again. notes: what
-- the indexer could not read (JSON array); match_notes: what the matcher could not judge, and other notes of the scan.
CREATE TABLE scan_result (
    manifest_id    BIGINT PRIMARY KEY REFERENCES manifest (id) ON DELETE CASCADE,
    state          VARCHAR(16) NOT NULL,
    reason         TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    queued_at      BIGINT NOT NULL,
    started_at     BIGINT,
    indexed_at     BIGINT,
    matched_at     BIGINT,
    import_id      BIGINT NOT NULL DEFAULT 0,
    os_id          VARCHAR(255),
    os_version     VARCHAR(255),
    os_name        VARCHAR(1024),
    os_unsupported TEXT,
    grade          VARCHAR(1),
    notes          TEXT NOT NULL,
    match_notes    TEXT NOT NULL,
    CONSTRAINT scan_result_state_ck CHECK (state IN ('queued', 'indexing', 'done', 'failed', 'unsupported'))
);
CREATE INDEX scan_result_state_idx ON scan_result (state, import_id);

-- The inventory of an indexed image, one row per package (ordinal: its place in the inventory). ecosystem and package
-- are the key the matcher looks it up by in vuln_affected ('Debian:12' and the source package, 'Maven' and
-- group:artifact ...; ecosystem_prefix: every ecosystem beginning so, as RHEL's streams); NULL when its operating
-- system has no vulnerability data source. They meet vuln_change's keys to find what an import makes stale.
CREATE TABLE scan_package (
    manifest_id      BIGINT NOT NULL REFERENCES scan_result (manifest_id) ON DELETE CASCADE,
    ordinal          INTEGER NOT NULL,
    type             VARCHAR(16) NOT NULL,
    name             VARCHAR(1024) ${byte_order} NOT NULL,
    version          VARCHAR(512) NOT NULL,
    source_name      VARCHAR(1024),
    source_version   VARCHAR(512),
    purl             TEXT NOT NULL,
    path             TEXT NOT NULL,
    ecosystem        VARCHAR(255) ${byte_order},
    ecosystem_prefix BOOLEAN NOT NULL,
    package          VARCHAR(1024) ${byte_order},
    CONSTRAINT scan_package_pk PRIMARY KEY (manifest_id, ordinal)
);
CREATE INDEX scan_package_key_idx ON scan_package (package, ecosystem);

-- The findings of the last match: one advisory against one package (package_ordinal: its scan_package row).
-- found_at: when it was first found, kept across re-matches, so that a re-match tells new findings from old ones.
CREATE TABLE scan_finding (
    manifest_id     BIGINT NOT NULL REFERENCES scan_result (manifest_id) ON DELETE CASCADE,
    vuln_id         VARCHAR(255) NOT NULL,
    package_ordinal INTEGER NOT NULL,
    aliases         TEXT NOT NULL,
    ecosystem       VARCHAR(255) NOT NULL,
    matched_name    VARCHAR(1024) NOT NULL,
    matched_version VARCHAR(512) NOT NULL,
    fixed_version   VARCHAR(512),
    severity        VARCHAR(16) NOT NULL,
    cvss_score      DOUBLE PRECISION,
    cvss_vector     VARCHAR(512),
    summary         TEXT,
    links           TEXT NOT NULL,
    published       BIGINT NOT NULL,
    found_at        BIGINT NOT NULL,
    CONSTRAINT scan_finding_pk PRIMARY KEY (manifest_id, vuln_id, package_ordinal)
);
