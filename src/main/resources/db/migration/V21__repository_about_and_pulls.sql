-- What a repository says about itself and how much it is used (docs/ui.md, docs/api.md "Repositories").
--
-- description: Markdown written by the repository's administrators, stored as written (rendered, with raw HTML
-- escaped, when shown); '' when there is none. The registry caps it at 32768 characters.
ALTER TABLE repository ADD COLUMN description VARCHAR(32768) NOT NULL DEFAULT '';

-- Labels: key=value pairs or plain words (value NULL), at most 20 per repository, validated by the registry.
CREATE TABLE repository_label (
    repository_id BIGINT NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    name          VARCHAR(64) ${byte_order} NOT NULL,
    label_value   VARCHAR(128),
    PRIMARY KEY (repository_id, name)
);
CREATE INDEX repository_label_name_idx ON repository_label (name);

-- Pull counts. A node counts manifest pulls in memory and adds what it counted to these rows every
-- registry.pull-stats-flush-interval and when it stops: increments (pulls = pulls + n), never overwrites, so that
-- several nodes sharing the database all count. last_pulled_at only moves forward.
--
-- Per repository, all time:
CREATE TABLE repository_pulls (
    repository_id  BIGINT PRIMARY KEY REFERENCES repository (id) ON DELETE CASCADE,
    pulls          BIGINT NOT NULL,
    last_pulled_at TIMESTAMP WITH TIME ZONE NOT NULL
);
-- Per manifest (by digest) and per tag (a pull by tag counts for the tag and for the manifest it resolved to):
CREATE TABLE manifest_pulls (
    repository_id  BIGINT NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    digest         VARCHAR(150) NOT NULL,
    pulls          BIGINT NOT NULL,
    last_pulled_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (repository_id, digest)
);
CREATE TABLE tag_pulls (
    repository_id  BIGINT NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    tag            VARCHAR(128) ${byte_order} NOT NULL,
    pulls          BIGINT NOT NULL,
    last_pulled_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (repository_id, tag)
);
-- Per repository and UTC day, for the usage chart (the last 30 days are shown; older days are kept, they are small).
CREATE TABLE repository_pulls_daily (
    repository_id BIGINT NOT NULL REFERENCES repository (id) ON DELETE CASCADE,
    pull_day      DATE NOT NULL,
    pulls         BIGINT NOT NULL,
    PRIMARY KEY (repository_id, pull_day)
);
