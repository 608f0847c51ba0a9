-- A short lease on a link's token set: the worker holding it is the only
-- one refreshing that link's tokens, across every replica.
ALTER TABLE links ADD COLUMN refresh_lease_until TIMESTAMP;
ALTER TABLE links ADD COLUMN refresh_lease_owner TEXT NOT NULL DEFAULT '';
