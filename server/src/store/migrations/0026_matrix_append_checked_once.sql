-- matrix_append_messages again, with its checks looked up once per send.
-- Without MATERIALIZED the planner folds `checked` into the CASE below and
-- runs the power-levels look-up once per reference (five per send), and it
-- cannot inline matrix_power_level over a sub-select. The membership check is
-- a look-up by key (as EXISTS it was planned as a hash of every membership,
-- built per batch). The content is no longer returned: the caller sent it and
-- has it, so PostgreSQL need not print it nor the node parse it back. Same
-- rows, same order otherwise. (A different result type: dropped, then made.)

-- One row per send, in order (i), with its outcome: 'stored' (the new event but
-- its content, and who was joined), 'earlier' (the transaction id was used: that event's id),
-- 'not_member' or 'power' (refused, nothing written).
DROP FUNCTION matrix_append_messages(text[], text[], text[], text[], text[], text[], text[], text[], bigint);
CREATE FUNCTION matrix_append_messages(
  event_ids text[], room_ids text[], senders text[], types text[], contents text[],
  staff_ids text[], device_ids text[], txn_ids text[], ts bigint
) RETURNS TABLE (
  i bigint, outcome text, batch_first bigint, batch_last bigint,
  stream_pos bigint, event_id text, room_id text, sender text, type text, state_key text,
  origin_server_ts bigint, sender_staff_id text, device_id text, txn_id text, joined text[]
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
  n int := cardinality(event_ids);
  last_pos bigint;
BEGIN
  UPDATE matrix_stream_head SET pos = pos + n WHERE id = 1 RETURNING pos INTO last_pos;
  RETURN QUERY
  WITH u AS (
    SELECT * FROM unnest(event_ids, room_ids, senders, types, contents, staff_ids, device_ids, txn_ids) WITH ORDINALITY
      AS u(event_id, room_id, sender, type, content, staff_id, device_id, txn_id, i)
  ), checked AS MATERIALIZED (
    SELECT u.*,
      (SELECT e.event_id FROM matrix_events e WHERE e.sender_staff_id = u.staff_id AND e.device_id = u.device_id AND e.txn_id = u.txn_id) AS earlier,
      COALESCE((SELECT true FROM matrix_memberships m WHERE m.room_id = u.room_id AND m.staff_id = u.staff_id AND m.membership = 'join'), false) AS member,
      (SELECT e.content FROM matrix_room_state s JOIN matrix_events e ON e.stream_pos = s.stream_pos
        WHERE s.room_id = u.room_id AND s.type = 'm.room.power_levels' AND s.state_key = '') AS pl
      FROM u
  ), decided AS (
    SELECT c.*, CASE
      WHEN c.earlier IS NOT NULL THEN 'earlier'
      WHEN NOT c.member THEN 'not_member'
      WHEN matrix_power_level(c.pl -> 'users' -> c.sender, matrix_power_level(c.pl -> 'users_default', 0))
         < matrix_power_level(c.pl -> 'events' -> c.type, matrix_power_level(c.pl -> 'events_default', 0)) THEN 'power'
      ELSE 'stored' END AS outcome
      FROM checked c
  ), ins AS (
    INSERT INTO matrix_events AS e (stream_pos, event_id, room_id, sender, type, state_key, content, origin_server_ts, sender_staff_id, device_id, txn_id)
    SELECT last_pos - n + d.i, d.event_id, d.room_id, d.sender, d.type, NULL, d.content::jsonb, ts, d.staff_id, d.device_id, d.txn_id
      FROM decided d WHERE d.outcome = 'stored'
    RETURNING e.stream_pos, e.event_id, e.room_id, e.sender, e.type, e.state_key, e.origin_server_ts, e.sender_staff_id, e.device_id, e.txn_id,
      ARRAY(SELECT j.staff_id FROM matrix_memberships j WHERE j.room_id = e.room_id AND j.membership = 'join') AS joined
  )
  SELECT d.i, d.outcome, last_pos - n + 1, last_pos,
         ins.stream_pos, COALESCE(ins.event_id, d.earlier), ins.room_id, ins.sender, ins.type, ins.state_key,
         ins.origin_server_ts, ins.sender_staff_id, ins.device_id, ins.txn_id, ins.joined
    FROM decided d LEFT JOIN ins ON ins.event_id = d.event_id
   ORDER BY d.i;
END
$$;
