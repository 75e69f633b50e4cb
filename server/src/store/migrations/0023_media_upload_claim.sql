-- An upload to a reserved media id claims the reservation by marking it, and
-- removes it only once the content is stored: a download waiting meanwhile
-- keeps seeing the id as "not yet uploaded" instead of unknown.
ALTER TABLE matrix_media_pending ADD COLUMN uploading_since timestamptz;
