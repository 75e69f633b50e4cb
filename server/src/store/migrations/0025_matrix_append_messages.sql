-- Group commit of message events in one statement: one round trip per batch
-- instead of BEGIN, UPDATE, INSERT, COMMIT. Inside a PL/pgSQL function each
-- statement takes a fresh snapshot, so the INSERT runs after the stream head is
-- locked and sees every change committed before: the membership check and the
-- joined members it returns are exact for each event's position, as before.
CREATE FUNCTION matrix_append_messages(
  event_ids text[], room_ids text[], senders text[], types text[], contents text[],
  staff_ids text[], device_ids text[], txn_ids text[], ts bigint
) RETURNS TABLE (
  batch_first bigint, batch_last bigint,
  stream_pos bigint, event_id text, room_id text, sender text, type text, state_key text, content jsonb,
  origin_server_ts bigint, sender_staff_id text, device_id text, txn_id text, joined text[]
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  n int := cardinality(event_ids);
  last_pos bigint;
BEGIN
  UPDATE matrix_stream_head SET pos = pos + n WHERE id = 1 RETURNING pos INTO last_pos;
  RETURN QUERY
  INSERT INTO matrix_events AS e (stream_pos, event_id, room_id, sender, type, state_key, content, origin_server_ts, sender_staff_id, device_id, txn_id)
  SELECT last_pos - n + u.i, u.event_id, u.room_id, u.sender, u.type, NULL, u.content::jsonb, ts, u.staff_id, u.device_id, u.txn_id
    FROM unnest(event_ids, room_ids, senders, types, contents, staff_ids, device_ids, txn_ids) WITH ORDINALITY
         AS u(event_id, room_id, sender, type, content, staff_id, device_id, txn_id, i)
   WHERE EXISTS (SELECT 1 FROM matrix_memberships m WHERE m.room_id = u.room_id AND m.staff_id = u.staff_id AND m.membership = 'join')
  RETURNING last_pos - n + 1, last_pos,
    e.stream_pos, e.event_id, e.room_id, e.sender, e.type, e.state_key, e.content, e.origin_server_ts, e.sender_staff_id, e.device_id, e.txn_id,
    ARRAY(SELECT j.staff_id FROM matrix_memberships j WHERE j.room_id = e.room_id AND j.membership = 'join');
END
$$;
