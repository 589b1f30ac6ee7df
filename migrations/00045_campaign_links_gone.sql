-- +goose Up
-- Campaign links taken away (removed from a campaign's form, or with the
-- whole campaign): /go/{id} then answers 410 Gone rather than 404, so an
-- old e-mail or page tells its reader the link was withdrawn. Only the
-- id and when: no address, title or count is kept.
CREATE TABLE campaign_links_gone (
    link_id    bigint      PRIMARY KEY,
    removed_at timestamptz NOT NULL
);

-- +goose Down
DROP TABLE campaign_links_gone;
