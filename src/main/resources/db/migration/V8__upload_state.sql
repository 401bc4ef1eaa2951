-- Upload sessions that any node can continue: the blob store's state of the session (for S3, its multipart upload
-- and parts) and the running SHA-256's state, both written in the transaction that moves committed_size.
ALTER TABLE upload ADD COLUMN store_state VARCHAR;
ALTER TABLE upload ADD COLUMN hash_state VARCHAR;
