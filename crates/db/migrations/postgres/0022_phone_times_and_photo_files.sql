-- Every change a phone may queue offline keeps the time the phone says it was done (device_at)
-- beside the time it reached the server (arrived_at, or the row's created_at where it has one),
-- so that a verifier sees both (issue 27). The time a change counts as made (checked_in_at,
-- visited_at, submitted_at, at, received_at) is the phone's where believed, else the arrival.
ALTER TABLE shift_assignments ADD COLUMN check_in_device_at TIMESTAMPTZ;
ALTER TABLE shift_assignments ADD COLUMN check_in_arrived_at TIMESTAMPTZ;
ALTER TABLE shift_assignments ADD COLUMN check_out_device_at TIMESTAMPTZ;
ALTER TABLE shift_assignments ADD COLUMN check_out_arrived_at TIMESTAMPTZ;
ALTER TABLE inspection_visits ADD COLUMN device_at TIMESTAMPTZ;
ALTER TABLE rectifications ADD COLUMN device_at TIMESTAMPTZ;
ALTER TABLE rectifications ADD COLUMN arrived_at TIMESTAMPTZ;
ALTER TABLE work_orders ADD COLUMN device_at TIMESTAMPTZ;
ALTER TABLE work_orders ADD COLUMN arrived_at TIMESTAMPTZ;
ALTER TABLE order_steps ADD COLUMN device_at TIMESTAMPTZ;
ALTER TABLE order_steps ADD COLUMN arrived_at TIMESTAMPTZ;
ALTER TABLE attachments ADD COLUMN device_at TIMESTAMPTZ;
-- A photo's bytes kept in the data folder beside an SQLite store ('folder', named by its hash)
-- or in the data column ('db': PostgreSQL, and photos kept before this).
ALTER TABLE attachments ADD COLUMN stored TEXT NOT NULL DEFAULT 'db';
