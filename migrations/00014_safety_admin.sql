-- +goose Up

-- Members choose the language and region whose crisis resources they see
-- ('' = the site's default). Sign-up fills them from the browser's
-- Accept-Language; the account settings change them.
ALTER TABLE users
    ADD COLUMN language text NOT NULL DEFAULT '' CHECK (language ~ '^([a-z]{2})?$'),
    ADD COLUMN region   text NOT NULL DEFAULT '' CHECK (region ~ '^([A-Z]{2}(-[A-Z0-9]{1,3})?)?$');

-- Crisis resources, one text per language and optional region (a country,
-- or a country's subdivision such as CA-QC), exactly one of them the
-- default. Members see the best match (app/moderation/crisis_resources.go).
CREATE TABLE crisis_resources (
    id         bigserial PRIMARY KEY,
    language   text        NOT NULL CHECK (language ~ '^[a-z]{2}$'),
    region     text        NOT NULL DEFAULT '' CHECK (region ~ '^([A-Z]{2}(-[A-Z0-9]{1,3})?)?$'),
    is_default boolean     NOT NULL DEFAULT false,
    body       text        NOT NULL CHECK (length(body) BETWEEN 20 AND 10000),
    updated_by bigint, -- no foreign key: the text outlives the admin's account
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX crisis_resources_locale_idx ON crisis_resources (language, region);
CREATE UNIQUE INDEX crisis_resources_one_default_idx ON crisis_resources (is_default) WHERE is_default;

-- The one global text becomes the default (English, no region), as an
-- admin left it.
INSERT INTO crisis_resources (language, region, is_default, body)
SELECT 'en', '', true, value FROM site_settings WHERE key = 'crisis_resources';
INSERT INTO crisis_resources (language, region, is_default, body)
SELECT 'en', '', true, E'## You are not alone\n\nIf you are in danger right now, or might act on thoughts of harming yourself, **call your local emergency number** or go to the nearest emergency department.'
WHERE NOT EXISTS (SELECT 1 FROM crisis_resources);
DELETE FROM site_settings WHERE key = 'crisis_resources';

INSERT INTO crisis_resources (language, region, body) VALUES
('en', 'CA', E'## You are not alone\n\nIf you are in danger right now, or might act on thoughts of harming yourself, **call 911** or go to the nearest emergency department.\n\n- **988 Suicide Crisis Helpline**: call or text **988**, any time, in English or French.\n- Tell someone you trust how you are feeling, and stay with them.\n- Remove anything you could use to hurt yourself, or ask someone to hold it for you.\n\n*An administrator can change this text under Admin → Safety.*'),
('en', 'CA-QC', E'## You are not alone\n\nIf you are in danger right now, or might act on thoughts of harming yourself, **call 911** or go to the nearest emergency department.\n\n- **Suicide prevention in Québec**: call **1 866 APPELLE (1 866 277-3553)**, any time.\n- **988 Suicide Crisis Helpline**: call or text **988**.\n- **Info-Social 811**: call **811** to talk to a social worker.\n- Tell someone you trust how you are feeling, and stay with them.\n\n*An administrator can change this text under Admin → Safety.*'),
('en', 'US', E'## You are not alone\n\nIf you are in danger right now, or might act on thoughts of harming yourself, **call 911** or go to the nearest emergency department.\n\n- **988 Suicide & Crisis Lifeline**: call or text **988**, any time.\n- Tell someone you trust how you are feeling, and stay with them.\n- Remove anything you could use to hurt yourself, or ask someone to hold it for you.\n\n*An administrator can change this text under Admin → Safety.*'),
('en', 'GB', E'## You are not alone\n\nIf you are in danger right now, or might act on thoughts of harming yourself, **call 999** or go to A&E.\n\n- **Samaritans**: call **116 123**, free, any time.\n- **NHS 111** for urgent help that is not an emergency.\n- Tell someone you trust how you are feeling, and stay with them.\n\n*An administrator can change this text under Admin → Safety.*'),
('fr', '', E'## Vous n''êtes pas seul·e\n\nSi vous êtes en danger maintenant, ou si vous pourriez passer à l''acte, **appelez le numéro d''urgence de votre pays** (112 en Europe, 911 en Amérique du Nord) ou rendez-vous aux urgences les plus proches.\n\n- Parlez à quelqu''un maintenant : appelez une ligne d''écoute de votre pays. Votre médecin ou votre pharmacien peut vous en indiquer une.\n- Dites à une personne de confiance ce que vous ressentez, et restez avec elle.\n- Éloignez ce qui pourrait vous servir à vous faire du mal, ou confiez-le à quelqu''un.\n\n*Un administrateur peut modifier ce texte dans Admin → Safety.*'),
('fr', 'CA', E'## Vous n''êtes pas seul·e\n\nSi vous êtes en danger maintenant, ou si vous pourriez passer à l''acte, **appelez le 911** ou rendez-vous aux urgences les plus proches.\n\n- **988 Ligne d''aide en cas de crise de suicide** : appelez ou textez le **988**, en tout temps, en français ou en anglais.\n- Dites à une personne de confiance ce que vous ressentez, et restez avec elle.\n- Éloignez ce qui pourrait vous servir à vous faire du mal, ou confiez-le à quelqu''un.\n\n*Un administrateur peut modifier ce texte dans Admin → Safety.*'),
('fr', 'CA-QC', E'## Vous n''êtes pas seul·e\n\nSi vous êtes en danger maintenant, ou si vous pourriez passer à l''acte, **appelez le 911** ou rendez-vous aux urgences les plus proches.\n\n- **Prévention du suicide** : appelez le **1 866 APPELLE (1 866 277-3553)**, 24 h sur 24, 7 jours sur 7.\n- **988** : appelez ou textez le 988.\n- **Info-Social 811** : appelez le **811** pour parler à un intervenant.\n- Dites à une personne de confiance ce que vous ressentez, et restez avec elle.\n\n*Un administrateur peut modifier ce texte dans Admin → Safety.*'),
('fr', 'FR', E'## Vous n''êtes pas seul·e\n\nSi vous êtes en danger maintenant, ou si vous pourriez passer à l''acte, **appelez le 15 (SAMU) ou le 112**, ou rendez-vous aux urgences les plus proches.\n\n- **3114**, numéro national de prévention du suicide : gratuit, 24 h sur 24, 7 jours sur 7.\n- Dites à une personne de confiance ce que vous ressentez, et restez avec elle.\n- Éloignez ce qui pourrait vous servir à vous faire du mal, ou confiez-le à quelqu''un.\n\n*Un administrateur peut modifier ce texte dans Admin → Safety.*');

-- The emergency guidance shown before a private question with urgent
-- symptoms is sent, and at once after a post with them (Markdown).
INSERT INTO site_settings (key, value) VALUES ('urgent_guidance', E'- If you or someone else has chest pain, signs of a stroke (face drooping, arm weakness, slurred speech), trouble breathing or has taken an overdose: **call your local emergency number now**.\n- If you are thinking about ending your life or harming yourself: call your local emergency number or a crisis line now. You deserve support right away.')
ON CONFLICT (key) DO NOTHING;

-- +goose Down
DELETE FROM site_settings WHERE key = 'urgent_guidance';
INSERT INTO site_settings (key, value, updated_at)
SELECT 'crisis_resources', body, updated_at FROM crisis_resources WHERE is_default
ON CONFLICT (key) DO UPDATE SET value = excluded.value;
DROP TABLE crisis_resources;
ALTER TABLE users DROP COLUMN region, DROP COLUMN language;
