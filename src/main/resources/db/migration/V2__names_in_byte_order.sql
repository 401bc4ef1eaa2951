-- Repository and tag names are listed, and paged through with "name > :last", in byte order (the distribution
-- spec's lexical order). The byte_order placeholder is COLLATE "C" on PostgreSQL, whose default collation may well
-- be a linguistic one (en_US.UTF-8 sorts "a" < "B" < "b" and "_" before "-"), and nothing on H2, which compares
-- names by code unit already: see Database.placeholders. Indexes on these columns are rebuilt in the new order.
-- tag_history.name takes the collation of tag.name, the same names. (A new migration rather than an edit of V1,
-- which existing databases have applied and whose checksum Flyway validates.)

ALTER TABLE repository ALTER COLUMN name SET DATA TYPE VARCHAR(255) ${byte_order};
ALTER TABLE tag ALTER COLUMN name SET DATA TYPE VARCHAR(128) ${byte_order};
ALTER TABLE tag_history ALTER COLUMN name SET DATA TYPE VARCHAR(128) ${byte_order};
