-- A round over too few places to draw from is a targeted round (定点督查), not a random draw, and
-- says so on every page. Rounds stored before were all drawn, and those over a pool too small are
-- shown as not random by the draw check, from their stored input.
ALTER TABLE inspection_rounds ADD COLUMN targeted BOOLEAN NOT NULL DEFAULT FALSE;
