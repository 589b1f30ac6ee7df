-- +goose Up

-- Staff analytics (app/analytics): daily rollups computed by a River job
-- from the tables Kindred already has, and the search counters kept for
-- this purpose. Aggregates only: no row names a member, except the
-- clinicians' load (key = the clinician's id), which erasure deletes.

-- One count per UTC day, forum (0: not tied to a forum, or the whole
-- site), metric and key (a reason, an outcome, a specialty, …).
CREATE TABLE analytics_counts (
    day      date   NOT NULL,
    forum_id bigint NOT NULL DEFAULT 0,
    metric   text   NOT NULL,
    key      text   NOT NULL DEFAULT '',
    n        bigint NOT NULL,
    PRIMARY KEY (metric, day, forum_id, key)
);

-- Every duration (seconds) that ended on a day, so that percentiles over
-- any period are computed from the values themselves, never from daily
-- percentiles.
CREATE TABLE analytics_durations (
    day      date      NOT NULL,
    forum_id bigint    NOT NULL DEFAULT 0,
    metric   text      NOT NULL,
    seconds  integer[] NOT NULL,
    PRIMARY KEY (metric, day, forum_id)
);

-- The days the rollup has computed, and when (a day is recomputed while
-- late facts can still change it).
CREATE TABLE analytics_days (
    day       date        PRIMARY KEY,
    rolled_at timestamptz NOT NULL
);

-- Searches, counted as they happen (app/forums' search page and API).
CREATE TABLE analytics_search_days (
    day       date   PRIMARY KEY,
    searches  bigint NOT NULL DEFAULT 0,
    no_result bigint NOT NULL DEFAULT 0
);

-- Members' queries that found nothing, normalised, without personal data
-- (checked by app/safety before anything is stored); visitors' searches
-- count in analytics_search_days only.
CREATE TABLE analytics_search_queries (
    day      date   NOT NULL,
    query    text   NOT NULL CHECK (length(query) <= 100),
    searches bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (day, query)
);

-- Which members searched a no-result query, as HMAC(server key, query,
-- member): distinct members can be counted, a member cannot be named, and
-- one member's tokens for two queries have nothing in common.
CREATE TABLE analytics_search_members (
    day   date  NOT NULL,
    query text  NOT NULL CHECK (length(query) <= 100),
    token bytea NOT NULL,
    PRIMARY KEY (day, query, token)
);

-- +goose Down
DROP TABLE analytics_search_members;
DROP TABLE analytics_search_queries;
DROP TABLE analytics_search_days;
DROP TABLE analytics_days;
DROP TABLE analytics_durations;
DROP TABLE analytics_counts;
