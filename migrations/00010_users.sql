-- +goose Up
-- Users: people tokens belong to and notifications reach. An email is
-- unique regardless of case. Deleting a user revokes its tokens.

CREATE TABLE users (
    id         text PRIMARY KEY,
    email      text NOT NULL CHECK (length(email) BETWEEN 3 AND 320),
    name       text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

ALTER TABLE api_tokens ADD COLUMN user_id text REFERENCES users (id) ON DELETE CASCADE;
CREATE INDEX api_tokens_user ON api_tokens (user_id) WHERE user_id IS NOT NULL;

-- +goose Down
ALTER TABLE api_tokens DROP COLUMN user_id;
DROP TABLE users;
