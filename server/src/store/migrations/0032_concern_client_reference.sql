-- A concern notification names its client the way both sides can quote on the
-- phone and in the conference: the Kela application it is about (the one it
-- was sent by, else the client's newest pending application). Never the
-- identity code; null when the client has no application.
ALTER TABLE concern_notifications ADD COLUMN client_reference text;
