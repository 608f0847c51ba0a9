-- The provider devices each link has reported, so that a device the
-- provider stops listing (or an unlinked account) ends its FHIR
-- DeviceAssociation. Device ids only: no readings.
CREATE TABLE link_devices (
    link_id       INTEGER NOT NULL REFERENCES links (id),
    device_id     TEXT NOT NULL,
    first_seen_at TIMESTAMP NOT NULL,
    last_seen_at  TIMESTAMP NOT NULL,
    ended_at      TIMESTAMP,
    PRIMARY KEY (link_id, device_id)
);
