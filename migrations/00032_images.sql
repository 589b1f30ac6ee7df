-- +goose Up
-- Pictures members put in posts (app/images). The bytes live in the image
-- store (disk or S3) under key; this row says who uploaded them, for which
-- forum's composer, and what Kindred encoded. Only images Kindred encoded
-- itself are kept: JPEG or PNG, no metadata.
CREATE TABLE images (
    id           bigserial   PRIMARY KEY,
    key          text        NOT NULL UNIQUE CHECK (key ~ '^[0-9a-f]{32}$'),
    uploader_id  bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    forum_id     bigint      NOT NULL REFERENCES forums (id) ON DELETE CASCADE,
    width        integer     NOT NULL CHECK (width > 0),
    height       integer     NOT NULL CHECK (height > 0),
    bytes        bigint      NOT NULL CHECK (bytes > 0),
    content_type text        NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    created_at   timestamptz NOT NULL
);
CREATE INDEX images_uploader_idx ON images (uploader_id);
CREATE INDEX images_created_idx ON images (created_at);
-- Which posts show which images: rewritten whenever a post is saved, so
-- an image is exactly as visible as the posts that show it.
CREATE TABLE post_images (
    post_id  bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    image_id bigint NOT NULL REFERENCES images (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, image_id)
);
-- An image is in one post at most: the same picture in an anonymous post
-- and a signed one would tell who wrote the anonymous one.
CREATE UNIQUE INDEX post_images_image_idx ON post_images (image_id);

-- +goose Down
DROP TABLE post_images;
DROP TABLE images;
