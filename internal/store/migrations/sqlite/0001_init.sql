-- ohx schema, version 1. No table holds a health value: only who is linked
-- to what, encrypted tokens, cursors, counters and bookkeeping.

CREATE TABLE patients (
    id          INTEGER PRIMARY KEY,
    ehr_user_id TEXT NOT NULL UNIQUE,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

CREATE TABLE provider_settings (
    provider              TEXT PRIMARY KEY CHECK (provider IN ('withings', 'fitbit')),
    enabled               BOOLEAN NOT NULL DEFAULT 1,
    excluded_data_types   TEXT NOT NULL DEFAULT '[]',  -- JSON array of data kinds
    success_url           TEXT NOT NULL DEFAULT '',
    error_url             TEXT NOT NULL DEFAULT '',
    allowed_redirect_urls TEXT NOT NULL DEFAULT '[]',  -- JSON array of URL prefixes
    updated_at            TIMESTAMP NOT NULL
);

CREATE TABLE links (
    id               INTEGER PRIMARY KEY,
    patient_id       BIGINT NOT NULL REFERENCES patients (id),
    provider         TEXT NOT NULL CHECK (provider IN ('withings', 'fitbit')),
    external_user_id TEXT NOT NULL,
    token_key_id     TEXT,          -- id of the key that sealed token_sealed
    token_sealed     BLOB,         -- AES-256-GCM; NULL once crypto-shredded
    token_expires_at TIMESTAMP,
    token_version    BIGINT NOT NULL DEFAULT 0, -- bumped on every token write
    scopes           TEXT NOT NULL DEFAULT '',
    status           TEXT NOT NULL CHECK (status IN ('active', 'needs_reauth', 'revoked')),
    linked_at        TIMESTAMP NOT NULL,
    unlinked_at      TIMESTAMP,
    updated_at       TIMESTAMP NOT NULL
);
-- A patient has at most one live link per provider, and a provider account
-- feeds at most one patient.
CREATE UNIQUE INDEX links_patient_provider_live ON links (patient_id, provider) WHERE status <> 'revoked';
CREATE UNIQUE INDEX links_external_live ON links (provider, external_user_id) WHERE status <> 'revoked';
CREATE INDEX links_token_key ON links (token_key_id) WHERE token_sealed IS NOT NULL;

CREATE TABLE subscriptions (
    id           INTEGER PRIMARY KEY,
    link_id      BIGINT NOT NULL REFERENCES links (id),
    topic        TEXT NOT NULL,  -- Withings appli code, Google data type
    callback_url TEXT NOT NULL,  -- stored without its secret query parameter
    external_id  TEXT NOT NULL DEFAULT '',
    created_at   TIMESTAMP NOT NULL,
    checked_at   TIMESTAMP,
    UNIQUE (link_id, topic)
);

CREATE TABLE sync_state (
    link_id          BIGINT NOT NULL REFERENCES links (id),
    data_kind        TEXT NOT NULL,
    cursor           TEXT NOT NULL DEFAULT '',
    last_attempt_at  TIMESTAMP,
    last_success_at  TIMESTAMP,
    fetched_count    BIGINT NOT NULL DEFAULT 0,
    published_count  BIGINT NOT NULL DEFAULT 0,
    rejected_count   BIGINT NOT NULL DEFAULT 0,
    last_error_class TEXT NOT NULL DEFAULT '',
    last_error_at    TIMESTAMP,
    backfill_from    TIMESTAMP,   -- the oldest instant the backfill covers
    backfill_done_to TIMESTAMP,   -- how far back the backfill has reached
    PRIMARY KEY (link_id, data_kind)
);

CREATE TABLE audit_events (
    id         INTEGER PRIMARY KEY,
    at         TIMESTAMP NOT NULL,
    actor      TEXT NOT NULL,     -- "system", "api:<key id>", "oidc:<subject>", "provider:withings"
    action     TEXT NOT NULL,     -- e.g. link.created, token.refresh_failed
    patient_id BIGINT,
    link_id    BIGINT,
    provider   TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT '',  -- never a token or a health value
    request_id TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_patient ON audit_events (patient_id, at);

-- Token buckets shared by every replica (e.g. Withings' 120 requests/minute
-- for the whole application).
CREATE TABLE rate_limit_buckets (
    name        TEXT PRIMARY KEY,
    tokens      REAL NOT NULL,
    refilled_at TIMESTAMP NOT NULL
);

-- Single-use OAuth state for account linking.
CREATE TABLE oauth_states (
    state_hash      TEXT PRIMARY KEY,   -- SHA-256 of the state; the state itself is never stored
    patient_id      BIGINT NOT NULL REFERENCES patients (id),
    provider        TEXT NOT NULL,
    verifier_sealed BLOB,              -- PKCE verifier, sealed like tokens
    verifier_key_id TEXT,
    redirect_url    TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    expires_at      TIMESTAMP NOT NULL
);
CREATE INDEX oauth_states_expires ON oauth_states (expires_at);
