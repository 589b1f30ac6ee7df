-- +goose Up

-- Reasons moderators can pick beside free text when they hide or remove
-- something (admins edit the list). The author reads the chosen text.
CREATE TABLE moderation_reasons (
    id         bigserial PRIMARY KEY,
    label      text        NOT NULL CHECK (length(label) BETWEEN 1 AND 80),
    body       text        NOT NULL CHECK (length(body) BETWEEN 5 AND 1000),
    position   integer     NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO moderation_reasons (label, body, position) VALUES
('Advertising', 'Advertising and selling are not allowed on Kindred.', 1),
('Could harm someone', 'This reads as medical advice that could harm someone. Share your experience, and leave treatment decisions to clinicians.', 2),
('Personal data', 'This shows personal details (a phone number, an address or an e-mail) that could identify someone.', 3),
('Unkind', 'This is unkind to another member. Please disagree with care.', 4),
('Off topic', 'This does not belong in this forum.', 5);

-- +goose Down
DROP TABLE moderation_reasons;
