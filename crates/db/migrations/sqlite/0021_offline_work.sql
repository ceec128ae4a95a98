-- Work done offline on a phone (issue 27). A change sent with an Idempotency-Key is answered once
-- and its answer kept, so the phone's retries of it get the first answer and write nothing. An
-- answer of NULL status marks a change still being made. Changes made offline keep the time the
-- phone says they were done (device_at) beside the time they reached the server. Photos keep a
-- content hash, and the place they were taken only where the user chose to send it. A meeting
-- of organisational life keeps its photos (issue 26).
CREATE TABLE idempotent_requests (
    user_id INTEGER NOT NULL REFERENCES users(id),
    idem_key TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER,
    headers TEXT,
    body BLOB,
    created_at TEXT NOT NULL,
    PRIMARY KEY (user_id, idem_key)
);
CREATE INDEX idempotent_requests_created ON idempotent_requests(created_at);

ALTER TABLE task_instances ADD COLUMN device_at TEXT;
ALTER TABLE task_instances ADD COLUMN received_at TEXT;
ALTER TABLE survey_responses ADD COLUMN device_at TEXT;
ALTER TABLE attachments ADD COLUMN sha256 TEXT;
ALTER TABLE attachments ADD COLUMN latitude REAL;
ALTER TABLE attachments ADD COLUMN longitude REAL;

CREATE TABLE life_meeting_photos (
    meeting_id INTEGER NOT NULL REFERENCES life_meetings(id),
    attachment_id INTEGER NOT NULL REFERENCES attachments(id),
    PRIMARY KEY (meeting_id, attachment_id)
);
CREATE INDEX life_meeting_photos_attachment ON life_meeting_photos(attachment_id);

-- A rectification handed in may carry a photo of what was done.
ALTER TABLE rectifications ADD COLUMN attachment_id INTEGER REFERENCES attachments(id);
-- An inspection visit may carry a photo of what the team saw.
ALTER TABLE inspection_visits ADD COLUMN attachment_id INTEGER REFERENCES attachments(id);
-- A work order's reply may carry a photo of what was done.
ALTER TABLE order_steps ADD COLUMN attachment_id INTEGER REFERENCES attachments(id);

-- Permissions of organisational life and weak organisations (issue 26) for the built-in roles of
-- an install made before them, given once here so that an administrator who later takes one away
-- is not overruled at the next start.
UPDATE roles SET permissions = permissions || ',work:life:checkin'
    WHERE role_key = 'member' AND permissions NOT LIKE '%work:life:%' AND permissions NOT LIKE '%*:*:*%';
UPDATE roles SET permissions = permissions || ',work:life:list,work:life:checkin'
    WHERE role_key = 'grid_worker' AND permissions NOT LIKE '%work:life:%' AND permissions NOT LIKE '%work:*:*%';
UPDATE roles SET permissions = permissions || ',judge:weak:list,judge:weak:report'
    WHERE role_key = 'village_secretary' AND permissions NOT LIKE '%judge:weak:%' AND permissions NOT LIKE '%judge:*:*%';
UPDATE roles SET permissions = permissions || ',system:setting:edit'
    WHERE role_key = 'county_org' AND permissions NOT LIKE '%system:setting:%' AND permissions NOT LIKE '%*:*:*%';
