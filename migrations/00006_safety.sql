-- +goose Up

-- Words and phrases admins watch for. Matching is whole-word, any case,
-- accents ignored (app/safety).
CREATE TABLE watched_words (
    id         bigserial PRIMARY KEY,
    pattern    text        NOT NULL CHECK (length(pattern) BETWEEN 2 AND 100),
    action     text        NOT NULL CHECK (action IN ('block', 'require_approval', 'flag', 'crisis')),
    created_by bigint, -- no foreign key: the list outlives the admin's account
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX watched_words_pattern_idx ON watched_words (lower(pattern));

-- A default crisis list: text with these is published as usual, the
-- author sees crisis resources, and moderators are alerted.
INSERT INTO watched_words (pattern, action) VALUES
    ('suicide', 'crisis'), ('suicidal', 'crisis'), ('kill myself', 'crisis'), ('end my life', 'crisis'),
    ('want to die', 'crisis'), ('better off dead', 'crisis'), ('no reason to live', 'crisis'),
    ('self-harm', 'crisis'), ('hurt myself', 'crisis'), ('cut myself', 'crisis'), ('take my own life', 'crisis');

-- Site-wide texts admins edit.
CREATE TABLE site_settings (
    key        text PRIMARY KEY,
    value      text        NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO site_settings (key, value) VALUES ('crisis_resources', E'## You are not alone\n\nIf you are in danger right now, or might act on thoughts of harming yourself, **call your local emergency number** (112 in Europe, 911 in North America, 999 in the UK, 000 in Australia) or go to the nearest emergency department.\n\n- Talk to someone now: call or text a crisis line in your country. Your doctor or pharmacist can point you to one.\n- Tell someone you trust how you are feeling, and stay with them.\n- Remove anything you could use to hurt yourself, or ask someone to hold it for you.\n\nYour post is published, and our moderators have been told so that someone can check in.\n\n*An administrator can replace this text with local helplines under Admin → Safety.*');

-- Notifications that carry a moderator's words to a member (a warning, a
-- removal's reason).
ALTER TABLE notifications ADD COLUMN message text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE notifications DROP COLUMN message;
DROP TABLE site_settings;
DROP TABLE watched_words;
