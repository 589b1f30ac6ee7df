-- +goose Up

-- The default crisis-resources text ended with "Your post is published, and
-- our moderators have been told…", which is untrue after a private question
-- or message (nothing is published, moderators are not told). The page now
-- adds what happened to the member's text itself, so the sentence leaves
-- the default text; a text an admin rewrote is left alone.
UPDATE site_settings
SET value = replace(value, E'\n\nYour post is published, and our moderators have been told so that someone can check in.', '')
WHERE key = 'crisis_resources';

-- +goose Down
UPDATE site_settings
SET value = replace(value, E'\n\n*An administrator can replace this text', E'\n\nYour post is published, and our moderators have been told so that someone can check in.\n\n*An administrator can replace this text')
WHERE key = 'crisis_resources' AND position('Your post is published' IN value) = 0;
