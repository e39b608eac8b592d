-- Looking an event up by messageId goes through its dedupe key, which now names the event's seq:
-- the second random-key index on events (message_id) cost every append a B-tree insert and its
-- pages in the WAL. Lookups therefore find events received within the dedupe window.
ALTER TABLE dedupe_keys ADD COLUMN seq INTEGER;
UPDATE dedupe_keys
   SET seq = (SELECT max(e.seq) FROM events e
               WHERE e.message_id = dedupe_keys.message_id AND e.source = dedupe_keys.source);
DROP INDEX IF EXISTS events_by_message_id;
