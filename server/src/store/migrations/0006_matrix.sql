-- The Matrix Client-Server API layer: rooms, events, devices, keys, to-device
-- messages. Message content reaches the server only as Megolm ciphertext
-- (m.room.encrypted); the server stores and forwards it.

-- One global stream ordering for everything /sync reports. Writers bump the
-- single row inside their transaction: the row lock orders commits, so a
-- reader that sees head = N has every change up to N.
CREATE TABLE matrix_stream_head (
  id int PRIMARY KEY CHECK (id = 1),
  pos bigint NOT NULL
);
INSERT INTO matrix_stream_head (id, pos) VALUES (1, 0);

CREATE TABLE matrix_rooms (
  room_id text PRIMARY KEY,
  creator_id text NOT NULL REFERENCES staff(id),
  -- The creator's root organisation when the room was made (for audit and routing).
  root_organisation_id text NOT NULL REFERENCES organisations(id),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE matrix_events (
  stream_pos bigint PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  room_id text NOT NULL REFERENCES matrix_rooms(room_id) ON DELETE CASCADE,
  sender text NOT NULL,
  type text NOT NULL,
  state_key text,
  content jsonb NOT NULL,
  origin_server_ts bigint NOT NULL,
  -- The sending device and its transaction id: /send is idempotent per (device, txn).
  sender_staff_id text NOT NULL,
  device_id text,
  txn_id text
);
CREATE INDEX matrix_events_room ON matrix_events (room_id, stream_pos);
CREATE UNIQUE INDEX matrix_events_txn ON matrix_events (sender_staff_id, device_id, txn_id) WHERE txn_id IS NOT NULL;

-- Current state of each room: the latest event per (type, state_key).
CREATE TABLE matrix_room_state (
  room_id text NOT NULL REFERENCES matrix_rooms(room_id) ON DELETE CASCADE,
  type text NOT NULL,
  state_key text NOT NULL,
  stream_pos bigint NOT NULL REFERENCES matrix_events(stream_pos),
  PRIMARY KEY (room_id, type, state_key)
);

-- Current membership of staff in rooms, with the window of history they may read
-- (history_visibility "joined": from their join on).
CREATE TABLE matrix_memberships (
  room_id text NOT NULL REFERENCES matrix_rooms(room_id) ON DELETE CASCADE,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  membership text NOT NULL CHECK (membership IN ('invite', 'join', 'leave', 'ban')),
  stream_pos bigint NOT NULL,
  visible_from bigint,
  visible_until bigint,
  forgotten boolean NOT NULL DEFAULT false,
  PRIMARY KEY (room_id, staff_id)
);
CREATE INDEX matrix_memberships_staff ON matrix_memberships (staff_id, membership);

-- People the routing service let into a conference across organisations.
CREATE TABLE conference_grants (
  room_id text NOT NULL REFERENCES matrix_rooms(room_id) ON DELETE CASCADE,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  granted_by text,
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, staff_id)
);

CREATE TABLE matrix_devices (
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  device_id text NOT NULL,
  display_name text,
  device_keys jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz,
  PRIMARY KEY (staff_id, device_id)
);

CREATE TABLE matrix_one_time_keys (
  staff_id text NOT NULL,
  device_id text NOT NULL,
  algorithm text NOT NULL,
  key_id text NOT NULL,
  key_json jsonb NOT NULL,
  PRIMARY KEY (staff_id, device_id, algorithm, key_id),
  FOREIGN KEY (staff_id, device_id) REFERENCES matrix_devices(staff_id, device_id) ON DELETE CASCADE
);

CREATE TABLE matrix_fallback_keys (
  staff_id text NOT NULL,
  device_id text NOT NULL,
  algorithm text NOT NULL,
  key_id text NOT NULL,
  key_json jsonb NOT NULL,
  used boolean NOT NULL DEFAULT false,
  PRIMARY KEY (staff_id, device_id, algorithm),
  FOREIGN KEY (staff_id, device_id) REFERENCES matrix_devices(staff_id, device_id) ON DELETE CASCADE
);

-- A person's device list changed (keys uploaded, device added or removed).
CREATE TABLE matrix_device_list_changes (
  stream_pos bigint PRIMARY KEY,
  staff_id text NOT NULL
);
CREATE INDEX matrix_device_list_changes_staff ON matrix_device_list_changes (staff_id, stream_pos);

-- To-device messages wait here until the device syncs past them.
CREATE TABLE matrix_to_device (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  stream_pos bigint NOT NULL,
  staff_id text NOT NULL,
  device_id text NOT NULL,
  sender text NOT NULL,
  type text NOT NULL,
  content jsonb NOT NULL
);
CREATE INDEX matrix_to_device_target ON matrix_to_device (staff_id, device_id, stream_pos);

-- Transaction ids of requests without a stored event (sendToDevice): replays answer the same.
CREATE TABLE matrix_txns (
  staff_id text NOT NULL,
  device_id text NOT NULL,
  kind text NOT NULL,
  txn_id text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (staff_id, device_id, kind, txn_id)
);

CREATE TABLE matrix_filters (
  filter_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  filter jsonb NOT NULL
);

-- Global (room_id = '') and per-room account data.
CREATE TABLE matrix_account_data (
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  room_id text NOT NULL,
  type text NOT NULL,
  content jsonb NOT NULL,
  stream_pos bigint NOT NULL,
  PRIMARY KEY (staff_id, room_id, type)
);
CREATE INDEX matrix_account_data_pos ON matrix_account_data (staff_id, stream_pos);

CREATE TABLE matrix_receipts (
  room_id text NOT NULL REFERENCES matrix_rooms(room_id) ON DELETE CASCADE,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  receipt_type text NOT NULL,
  thread_id text NOT NULL DEFAULT '',
  event_id text NOT NULL,
  ts bigint NOT NULL,
  stream_pos bigint NOT NULL,
  PRIMARY KEY (room_id, staff_id, receipt_type, thread_id)
);
CREATE INDEX matrix_receipts_pos ON matrix_receipts (room_id, stream_pos);

CREATE TABLE matrix_typing (
  room_id text NOT NULL REFERENCES matrix_rooms(room_id) ON DELETE CASCADE,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  until_ts bigint NOT NULL,
  stream_pos bigint NOT NULL,
  PRIMARY KEY (room_id, staff_id)
);
