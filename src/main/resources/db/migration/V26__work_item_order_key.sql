-- Fair claims of an ordered work queue (the webhook deliveries, one webhook's in order): order_key names the items
-- that must run one at a time in order (a webhook's id). A claim takes a few items of each key that has none running
-- (on any node), so one slow key neither fills a claim nor has two nodes run its items at once. NULL: the queue has
-- no order (the scans), claimed as before.
ALTER TABLE work_item ADD COLUMN order_key VARCHAR(1024);
UPDATE work_item SET order_key = SUBSTRING(item_key, 1, POSITION(':' IN item_key) - 1)
WHERE queue = 'webhook' AND POSITION(':' IN item_key) > 0;
CREATE INDEX work_item_order_idx ON work_item (queue, order_key, state);
-- One row per ordered queue, locked by each claim: claims of one queue take turns across nodes, so two nodes never
-- both see a key as idle and claim its items at once.
CREATE TABLE work_queue_claim (
    queue VARCHAR(64) PRIMARY KEY
);
