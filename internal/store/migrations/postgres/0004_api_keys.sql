-- API keys of the services (an EHR, a mobile app's backend) that call the
-- patient-facing API. Only a SHA-256 of each key is kept.
CREATE TABLE api_keys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    key_hash     TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,       -- the key's first characters, to recognise it
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);

-- Where a linking flow sends the patient when it fails.
ALTER TABLE oauth_states ADD COLUMN error_url TEXT NOT NULL DEFAULT '';
