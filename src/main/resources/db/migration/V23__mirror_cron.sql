-- A mirror's schedule may be a cron expression (five fields, Unix cron, in UTC) instead of an interval: when cron is
-- set, the next sync after a run is the expression's next time, and interval_seconds is not used.
ALTER TABLE mirror ADD COLUMN cron VARCHAR(256);
-- A semantic-version range (npm syntax, such as '>=1.2 <2') a tag must satisfy to be copied; with newest N, the N
-- highest versions are copied.
ALTER TABLE mirror ADD COLUMN tag_semver VARCHAR(256);
