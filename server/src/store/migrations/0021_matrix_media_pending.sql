-- Asynchronous uploads (POST /_matrix/media/v1/create): an mxc URI reserved
-- for its creator, filled once by PUT /_matrix/media/v3/upload/{server}/{id}
-- before it expires. Uploaded media move to matrix_media.
CREATE TABLE matrix_media_pending (
  media_id text PRIMARY KEY,
  uploader_staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX matrix_media_pending_uploader ON matrix_media_pending (uploader_staff_id, expires_at);
