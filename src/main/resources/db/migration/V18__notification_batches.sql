-- E-mail notifications (docs/events.md): the events a batching webhook (method 'email') has still to send. The
-- publisher adds a row per event it wants, in the publishing transaction, and queues one delivery of the webhook's
-- batch after its window; the delivery sends every row it finds in one message and deletes them with the log entry,
-- so an event is in exactly one sent message (at least once: a message whose answer was lost is sent again).
CREATE TABLE notification_pending (
    webhook_id  BIGINT NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
    event_seq   BIGINT NOT NULL,
    CONSTRAINT notification_pending_pk PRIMARY KEY (webhook_id, event_seq)
);
