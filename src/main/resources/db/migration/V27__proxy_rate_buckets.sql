-- The proxy's request budgets per upstream (docs/proxy-and-mirroring.md#limits), shared by every node on this
-- database: one token bucket a row. bucket: '<namespace> <limits version> <upstream URL> <period in seconds>' (the
-- version, the proxy row's updated_at, starts the buckets full again when the limits change); tokens: what is left;
-- at_millis: when they were counted (wall clock of the node that took the last token).
CREATE TABLE proxy_rate_bucket (
    bucket     VARCHAR(1200)    NOT NULL PRIMARY KEY,
    namespace  VARCHAR(255)     NOT NULL,
    tokens     DOUBLE PRECISION NOT NULL,
    at_millis  BIGINT           NOT NULL
);
CREATE INDEX proxy_rate_bucket_namespace_idx ON proxy_rate_bucket (namespace);
