-- A chat's rows go out strictly in order: delivery asks, for each candidate,
-- whether an older row of the same chat is still pending.
CREATE INDEX outbox_chat_pending ON outbox (chat_id, id) WHERE status = 'pending';
