-- +goose Up

-- Markdown images now render as links named by their alt text (pages may
-- only show Kindred's own images, so an outside one showed broken). Text
-- rendered before keeps its <img> tags: rewrite them the same way.
-- +goose StatementBegin
CREATE FUNCTION images_as_links(html text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT regexp_replace(
        regexp_replace(html, '<img src="([^"]*)" alt="([^"]+)"[^>]*>', '<a href="\1" rel="nofollow ugc noopener">\2</a>', 'g'),
        '<img src="([^"]*)"[^>]*>', '<a href="\1" rel="nofollow ugc noopener">an image</a>', 'g')
$$;
-- +goose StatementEnd
UPDATE posts SET body_html = images_as_links(body_html) WHERE body_html LIKE '%<img %';
UPDATE questions SET body_html = images_as_links(body_html) WHERE body_html LIKE '%<img %';
UPDATE question_messages SET body_html = images_as_links(body_html) WHERE body_html LIKE '%<img %';
UPDATE forums SET guidelines_html = images_as_links(guidelines_html) WHERE guidelines_html LIKE '%<img %';
DROP FUNCTION images_as_links(text);

-- +goose Down
SELECT 1; -- the old tags are not brought back
