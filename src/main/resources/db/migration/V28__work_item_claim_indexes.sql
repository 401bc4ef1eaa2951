-- Fair claims read the due items by index (WorkItemDao.claimFairly): the keys of the due items from the due index,
-- with the order key in it, and each key's next items in order from the order index, with the due time and id in it,
-- instead of ranking every due item in a window at each claim.
DROP INDEX work_item_order_idx;
CREATE INDEX work_item_order_idx ON work_item (queue, order_key, state, available_at, id);
DROP INDEX work_item_due_idx;
CREATE INDEX work_item_due_idx ON work_item (queue, state, available_at, order_key);
