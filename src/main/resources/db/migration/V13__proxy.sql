-- Proxy cache (docs/proxy-and-mirroring.md). An organization with a proxy_upstream row is a proxy organization: its
-- repositories are filled from the upstream registry on demand and refuse pushes.
-- password is sealed with the key-encryption key (dev.bollard.secrets.KeyEncryption), never stored in the clear;
-- fallbacks: further upstream URLs tried in order when the first fails, one per line (empty for none).
CREATE TABLE proxy_upstream (
    namespace          VARCHAR(255) ${byte_order} PRIMARY KEY,
    url                VARCHAR(2048) NOT NULL,
    prefix             VARCHAR(255) NOT NULL,
    library_names      BOOLEAN NOT NULL,
    username           VARCHAR(255),
    password           TEXT,
    ca_bundle          TEXT,
    tag_check_seconds  INTEGER NOT NULL,
    fallbacks          TEXT NOT NULL,
    created_by         VARCHAR(255) NOT NULL,
    created_at         BIGINT NOT NULL,
    updated_at         BIGINT NOT NULL
);

-- When a tag of a proxied repository was last compared with the upstream (a HEAD of the manifest), and the digest the
-- upstream answered: a tag checked within the organization's interval is served without asking again.
CREATE TABLE proxy_tag_check (
    repository_id  BIGINT NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    tag            VARCHAR(128) ${byte_order} NOT NULL,
    checked_at     BIGINT NOT NULL,
    PRIMARY KEY (repository_id, tag)
);

-- Blobs a proxied image manifest references that were not fetched yet (the cache fetches a blob when a client pulls
-- it). manifest_blob can only name stored blobs; when the proxy stores one, its pending rows move there.
CREATE TABLE proxy_pending_blob (
    manifest_id  BIGINT NOT NULL REFERENCES manifest (id) ON DELETE CASCADE,
    digest       VARCHAR(140) NOT NULL,
    PRIMARY KEY (manifest_id, digest)
);
CREATE INDEX proxy_pending_blob_digest_idx ON proxy_pending_blob (digest);
