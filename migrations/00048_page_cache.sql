-- +goose Up
-- Visitor page cache (app/pagecache). Every instance keeps rendered public
-- pages (home, forum, thread) in memory and drops them when a write
-- changes what they show. Triggers send what changed on channel
-- kindred_pages, so that no writer can forget to, on any instance:
--   t<thread id>  the thread's pages, and the lists (home, forum pages)
--   *             every page (forums, people, badges, announcements...)
-- Payloads carry ids only. Identical payloads in one transaction arrive
-- once; notifications arrive after the commit.
-- +goose StatementBegin
CREATE FUNCTION pages_thread_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tid bigint;
BEGIN
    IF TG_TABLE_NAME = 'posts' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('kindred_pages', 't' || OLD.thread_id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('kindred_pages', 't' || NEW.thread_id);
        END IF;
    ELSIF TG_TABLE_NAME = 'threads' THEN
        IF TG_OP <> 'INSERT' THEN
            PERFORM pg_notify('kindred_pages', 't' || OLD.id);
        END IF;
        IF TG_OP <> 'DELETE' THEN
            PERFORM pg_notify('kindred_pages', 't' || NEW.id);
        END IF;
    ELSE -- reactions, post_images: through the post
        IF TG_OP = 'DELETE' THEN
            SELECT thread_id INTO tid FROM posts WHERE id = OLD.post_id;
        ELSE
            SELECT thread_id INTO tid FROM posts WHERE id = NEW.post_id;
        END IF;
        IF tid IS NULL THEN
            PERFORM pg_notify('kindred_pages', '*'); -- the post went with it
        ELSE
            PERFORM pg_notify('kindred_pages', 't' || tid);
        END IF;
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER posts_pages AFTER INSERT OR UPDATE OR DELETE ON posts
    FOR EACH ROW EXECUTE FUNCTION pages_thread_changed();
CREATE TRIGGER threads_pages AFTER INSERT OR UPDATE OR DELETE ON threads
    FOR EACH ROW EXECUTE FUNCTION pages_thread_changed();
CREATE TRIGGER reactions_pages AFTER INSERT OR UPDATE OR DELETE ON reactions
    FOR EACH ROW EXECUTE FUNCTION pages_thread_changed();
CREATE TRIGGER post_images_pages AFTER INSERT OR UPDATE OR DELETE ON post_images
    FOR EACH ROW EXECUTE FUNCTION pages_thread_changed();

-- Rare writes that can show on any public page: drop them all.
-- +goose StatementBegin
CREATE FUNCTION pages_all_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kindred_pages', '*');
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER forums_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON forums
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
CREATE TRIGGER forum_moderators_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON forum_moderators
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
CREATE TRIGGER forum_resources_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON forum_resources
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
CREATE TRIGGER announcements_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON announcements
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
CREATE TRIGGER campaigns_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
CREATE TRIGGER campaign_links_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON campaign_links
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
CREATE TRIGGER credentials_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON credentials
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
CREATE TRIGGER professions_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON professions
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
CREATE TRIGGER specialties_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON specialties
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
CREATE TRIGGER site_settings_pages AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON site_settings
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();
-- People: only what pages show (handle, role, status: "a former member",
-- profile links), not sign-ins or settings.
CREATE TRIGGER users_pages AFTER UPDATE OF handle, role, status, profile_visibility OR DELETE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION pages_all_changed();

-- +goose Down
DROP TRIGGER users_pages ON users;
DROP TRIGGER site_settings_pages ON site_settings;
DROP TRIGGER specialties_pages ON specialties;
DROP TRIGGER professions_pages ON professions;
DROP TRIGGER credentials_pages ON credentials;
DROP TRIGGER campaign_links_pages ON campaign_links;
DROP TRIGGER campaigns_pages ON campaigns;
DROP TRIGGER announcements_pages ON announcements;
DROP TRIGGER forum_resources_pages ON forum_resources;
DROP TRIGGER forum_moderators_pages ON forum_moderators;
DROP TRIGGER forums_pages ON forums;
DROP FUNCTION pages_all_changed();
DROP TRIGGER post_images_pages ON post_images;
DROP TRIGGER reactions_pages ON reactions;
DROP TRIGGER threads_pages ON threads;
DROP TRIGGER posts_pages ON posts;
DROP FUNCTION pages_thread_changed();
