-- Access that comes with a post (issue 23 B.8). A role lists the kinds of post whose holder it
-- comes with, and a user's role held through a post names that post: it counts only while the
-- user's person holds that post, so it ends with the tenure and the next holder receives it.
ALTER TABLE roles ADD COLUMN post_kinds TEXT NOT NULL DEFAULT '';
ALTER TABLE user_roles ADD COLUMN post_id BIGINT REFERENCES posts(id);
UPDATE roles SET post_kinds = 'secretary' WHERE role_key = 'village_secretary';
UPDATE roles SET post_kinds = 'township_secretary' WHERE role_key = 'township_secretary';
UPDATE roles SET post_kinds = 'grid_worker' WHERE role_key = 'grid_worker';
-- Grants already made to someone holding such a post now come with that post.
UPDATE user_roles SET post_id = (
    SELECT MIN(t.post_id) FROM users us
    JOIN tenures t ON t.person_id = us.person_id AND t.end_date IS NULL
    JOIN posts po ON po.id = t.post_id
    JOIN roles r ON r.id = user_roles.role_id
    WHERE us.id = user_roles.user_id AND r.post_kinds <> ''
      AND (',' || r.post_kinds || ',') LIKE ('%,' || po.kind || ',%')
);
