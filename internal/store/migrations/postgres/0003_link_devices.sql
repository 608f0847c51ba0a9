-- The provider devices each link has reported, so that a device the
-- provider stops listing (or an unlinked account) ends its FHIR
-- DeviceAssociation. Device ids only: no readings.
CREATE TABLE link_devices (
    link_id       BIGINT NOT NULL REFERENCES links (id),
    device_id     TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    ended_at      TIMESTAMPTZ,
    PRIMARY KEY (link_id, device_id)
);
