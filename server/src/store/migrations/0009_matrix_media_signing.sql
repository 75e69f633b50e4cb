-- Matrix media (attachments, already encrypted by the client) and cross-signing.

-- The bytes live under DATA_DIR/media; the database knows who uploaded what.
CREATE TABLE matrix_media (
  media_id text PRIMARY KEY,
  uploader_staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  size_bytes bigint NOT NULL,
  content_type text,
  -- The client-supplied name (clients put the real one inside the encrypted event).
  file_name text,
  sha256 text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX matrix_media_uploader ON matrix_media (uploader_staff_id, created_at);

-- A person's cross-signing keys: master, self_signing, user_signing (public parts only).
CREATE TABLE matrix_cross_signing_keys (
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  key_type text NOT NULL CHECK (key_type IN ('master', 'self_signing', 'user_signing')),
  -- The key's public part without a key id prefix, to find signatures made on it.
  public_key text NOT NULL,
  key_json jsonb NOT NULL,
  stream_pos bigint NOT NULL,
  PRIMARY KEY (staff_id, key_type)
);

-- Signatures uploaded later (keys/signatures/upload) on a device's keys or a
-- cross-signing key: target is a device id or a cross-signing public key.
CREATE TABLE matrix_key_signatures (
  target_staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  target_key_id text NOT NULL,
  signer_user_id text NOT NULL,
  signer_key_id text NOT NULL,
  signature text NOT NULL,
  PRIMARY KEY (target_staff_id, target_key_id, signer_user_id, signer_key_id)
);
