-- +goose Up

-- Announcements and campaigns (app/outreach, README "Announcements and
-- campaigns").

-- A campaign groups announcements, threads and links over a period.
CREATE TABLE campaigns (
    id          bigserial   PRIMARY KEY,
    name        text        NOT NULL,
    description text        NOT NULL DEFAULT '',
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL CHECK (ends_at > starts_at),
    created_by  bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

-- scope 'site': every page (banner) or the home page (card); 'forum': the
-- forum's page and its threads' pages only. audience 'forum_members'
-- needs forum_id (the forum whose members are meant).
CREATE TABLE announcements (
    id           bigserial   PRIMARY KEY,
    title        text        NOT NULL,
    body         text        NOT NULL,
    body_html    text        NOT NULL,
    scope        text        NOT NULL CHECK (scope IN ('site', 'forum')),
    audience     text        NOT NULL CHECK (audience IN ('everyone', 'members', 'forum_members', 'clinicians')),
    forum_id     bigint      REFERENCES forums (id) ON DELETE CASCADE,
    priority     text        NOT NULL CHECK (priority IN ('banner', 'card')),
    health_alert boolean     NOT NULL DEFAULT false,
    email        boolean     NOT NULL DEFAULT false,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    campaign_id  bigint      REFERENCES campaigns (id) ON DELETE SET NULL,
    author_id    bigint      REFERENCES users (id) ON DELETE SET NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    -- The e-mail job's progress: the last member id handled, and when
    -- every batch was done.
    mail_cursor  bigint      NOT NULL DEFAULT 0,
    mailed_at    timestamptz,
    CHECK (ends_at > starts_at),
    CHECK (scope = 'site' OR forum_id IS NOT NULL),
    CHECK (audience <> 'forum_members' OR forum_id IS NOT NULL)
);
-- Pages read the ones not yet ended (and cache them a few seconds).
CREATE INDEX announcements_ends_idx ON announcements (ends_at);
CREATE INDEX announcements_campaign_idx ON announcements (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE INDEX announcements_forum_idx ON announcements (forum_id) WHERE forum_id IS NOT NULL;

-- A member's "hide this": the member's own data (exported, erased).
CREATE TABLE announcement_dismissals (
    user_id         bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    announcement_id bigint      NOT NULL REFERENCES announcements (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (user_id, announcement_id)
);
CREATE INDEX announcement_dismissals_announcement_idx ON announcement_dismissals (announcement_id, created_at);

-- Reach: one row per member shown any of a campaign's announcements. The
-- marker is HMAC-SHA256(server key, campaign, member) cut to 16 bytes:
-- no member id is stored, and nobody without the key can tell whose row
-- it is. first_day is the day they were first counted.
CREATE TABLE campaign_reach (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    marker      bytea  NOT NULL,
    first_day   date   NOT NULL,
    PRIMARY KEY (campaign_id, marker)
);

-- Visitors' impressions of a campaign's announcements: a number per day.
CREATE TABLE campaign_visitor_views (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    day         date   NOT NULL,
    views       bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (campaign_id, day)
);

CREATE TABLE campaign_links (
    id          bigserial   PRIMARY KEY,
    campaign_id bigint      NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    title       text        NOT NULL,
    url         text        NOT NULL,
    position    int         NOT NULL DEFAULT 0
);
CREATE INDEX campaign_links_campaign_idx ON campaign_links (campaign_id, position);

-- Clicks through /go/{link}: a count per day, never who, an address or a
-- browser.
CREATE TABLE campaign_link_clicks (
    link_id bigint NOT NULL REFERENCES campaign_links (id) ON DELETE CASCADE,
    day     date   NOT NULL,
    clicks  bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (link_id, day)
);

CREATE TABLE campaign_threads (
    campaign_id bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    thread_id   bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    PRIMARY KEY (campaign_id, thread_id)
);

-- E-mailed announcements reach members as notifications (app/notify
-- routes them by the "announcements" preference); one per member and
-- announcement, so a retried batch never mails anyone twice.
ALTER TABLE notifications ADD COLUMN announcement_id bigint REFERENCES announcements (id) ON DELETE CASCADE;
CREATE UNIQUE INDEX notifications_announcement_idx ON notifications (announcement_id, user_id) WHERE announcement_id IS NOT NULL;

-- +goose Down
DROP INDEX notifications_announcement_idx;
ALTER TABLE notifications DROP COLUMN announcement_id;
DROP TABLE campaign_threads;
DROP TABLE campaign_link_clicks;
DROP TABLE campaign_links;
DROP TABLE campaign_visitor_views;
DROP TABLE campaign_reach;
DROP TABLE announcement_dismissals;
DROP TABLE announcements;
DROP TABLE campaigns;
