-- +goose Up
ALTER TABLE users ADD COLUMN profile_visibility text NOT NULL DEFAULT 'members'
    CHECK (profile_visibility IN ('everyone', 'members', 'staff'));

CREATE TABLE forums (
    id              bigserial PRIMARY KEY,
    slug            text        NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,58}[a-z0-9]$'),
    name            text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    guidelines      text        NOT NULL DEFAULT '',
    guidelines_html text        NOT NULL DEFAULT '',
    sensitive       boolean     NOT NULL DEFAULT false,
    clinician_only  boolean     NOT NULL DEFAULT false,
    specialties     text[]      NOT NULL DEFAULT '{}',
    position        integer     NOT NULL DEFAULT 0,
    thread_count    integer     NOT NULL DEFAULT 0,
    archived_at     timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE forum_moderators (
    forum_id   bigint      NOT NULL REFERENCES forums (id) ON DELETE CASCADE,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (forum_id, user_id)
);
CREATE INDEX forum_moderators_user_idx ON forum_moderators (user_id);

CREATE TABLE forum_members (
    forum_id  bigint      NOT NULL REFERENCES forums (id) ON DELETE CASCADE,
    user_id   bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    joined_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (forum_id, user_id)
);
CREATE INDEX forum_members_user_idx ON forum_members (user_id);

CREATE TABLE forum_follows (
    forum_id   bigint      NOT NULL REFERENCES forums (id) ON DELETE CASCADE,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (forum_id, user_id)
);
CREATE INDEX forum_follows_user_idx ON forum_follows (user_id);

CREATE TABLE threads (
    id                   bigserial PRIMARY KEY,
    forum_id             bigint      NOT NULL REFERENCES forums (id),
    author_id            bigint      NOT NULL REFERENCES users (id),
    title                text        NOT NULL,
    anonymous            boolean     NOT NULL DEFAULT false,
    state                text        NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'locked')),
    visibility           text        NOT NULL DEFAULT 'visible' CHECK (visibility IN ('visible', 'pending', 'hidden', 'removed')),
    pinned               boolean     NOT NULL DEFAULT false,
    reply_count          integer     NOT NULL DEFAULT 0,
    has_clinician_answer boolean     NOT NULL DEFAULT false,
    created_at           timestamptz NOT NULL,
    last_post_at         timestamptz NOT NULL
);
-- The forum page: pinned first, then latest activity, keyset on (pinned, last_post_at, id).
CREATE INDEX threads_forum_listing_idx ON threads (forum_id, pinned DESC, last_post_at DESC, id DESC) WHERE visibility = 'visible';
CREATE INDEX threads_author_idx ON threads (author_id);

CREATE TABLE posts (
    id                   bigserial PRIMARY KEY,
    thread_id            bigint      NOT NULL REFERENCES threads (id),
    author_id            bigint      NOT NULL REFERENCES users (id),
    body                 text        NOT NULL,
    body_html            text        NOT NULL,
    anonymous            boolean     NOT NULL DEFAULT false,
    visibility           text        NOT NULL DEFAULT 'visible' CHECK (visibility IN ('visible', 'pending', 'hidden', 'removed')),
    author_was_clinician boolean     NOT NULL DEFAULT false,
    support_count        integer     NOT NULL DEFAULT 0,
    hug_count            integer     NOT NULL DEFAULT 0,
    me_too_count         integer     NOT NULL DEFAULT 0,
    helpful_count        integer     NOT NULL DEFAULT 0,
    created_at           timestamptz NOT NULL,
    edited_at            timestamptz,
    deleted_at           timestamptz
);
CREATE INDEX posts_thread_idx ON posts (thread_id, id);
CREATE INDEX posts_author_idx ON posts (author_id, id DESC);

-- Every edit and deletion keeps the text it replaced.
CREATE TABLE post_revisions (
    id         bigserial PRIMARY KEY,
    post_id    bigint      NOT NULL REFERENCES posts (id),
    editor_id  bigint      NOT NULL REFERENCES users (id),
    body       text        NOT NULL,
    reason     text        NOT NULL CHECK (reason IN ('edit', 'delete')),
    created_at timestamptz NOT NULL
);
CREATE INDEX post_revisions_post_idx ON post_revisions (post_id, id);

CREATE TABLE reactions (
    post_id    bigint      NOT NULL REFERENCES posts (id),
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text        NOT NULL CHECK (kind IN ('support', 'hug', 'me_too', 'helpful')),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (post_id, user_id, kind)
);

CREATE TABLE thread_follows (
    thread_id  bigint      NOT NULL REFERENCES threads (id),
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (thread_id, user_id)
);
CREATE INDEX thread_follows_user_idx ON thread_follows (user_id);

-- actor_id is NULL when the actor posted anonymously: a notification never
-- carries an anonymous author.
CREATE TABLE notifications (
    id         bigserial PRIMARY KEY,
    user_id    bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text        NOT NULL,
    actor_id   bigint REFERENCES users (id) ON DELETE SET NULL,
    forum_id   bigint REFERENCES forums (id),
    thread_id  bigint REFERENCES threads (id),
    post_id    bigint REFERENCES posts (id),
    created_at timestamptz NOT NULL,
    read_at    timestamptz
);
CREATE INDEX notifications_user_idx ON notifications (user_id, id DESC);
CREATE INDEX notifications_unread_idx ON notifications (user_id) WHERE read_at IS NULL;

-- One write per (user, key): a retried or double-submitted request finds
-- the result of the first.
CREATE TABLE idempotency_keys (
    user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key         text        NOT NULL,
    result_kind text        NOT NULL DEFAULT '',
    result_id   bigint,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- +goose Down
DROP TABLE idempotency_keys;
DROP TABLE notifications;
DROP TABLE thread_follows;
DROP TABLE reactions;
DROP TABLE post_revisions;
DROP TABLE posts;
DROP TABLE threads;
DROP TABLE forum_follows;
DROP TABLE forum_members;
DROP TABLE forum_moderators;
DROP TABLE forums;
ALTER TABLE users DROP COLUMN profile_visibility;
