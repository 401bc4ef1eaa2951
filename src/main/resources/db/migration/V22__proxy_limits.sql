-- Proxy cache limits (docs/proxy-and-mirroring.md). Per proxy organization, all optional (NULL: no limit):
-- cache_max_bytes: the size its cached images may take before the least recently pulled are evicted;
-- cache_expiry_days: an image not pulled for this many days is evicted;
-- rate_per_second / rate_per_minute: at most this many requests to each of its upstreams (token buckets, per node).
ALTER TABLE proxy_upstream ADD COLUMN cache_max_bytes BIGINT;
ALTER TABLE proxy_upstream ADD COLUMN cache_expiry_days INTEGER;
ALTER TABLE proxy_upstream ADD COLUMN rate_per_second INTEGER;
ALTER TABLE proxy_upstream ADD COLUMN rate_per_minute INTEGER;

-- When a manifest of a proxied repository was last pulled (or fetched): eviction takes the least recently pulled
-- first and the ones not pulled for cache_expiry_days.
CREATE TABLE proxy_pull (
    manifest_id  BIGINT NOT NULL PRIMARY KEY REFERENCES manifest (id) ON DELETE CASCADE,
    pulled_at    BIGINT NOT NULL
);
CREATE INDEX proxy_pull_at_idx ON proxy_pull (pulled_at);
