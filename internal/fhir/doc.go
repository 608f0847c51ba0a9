// Package fhir maps ohx's measurement vocabulary (package health) to FHIR R5
// resources and Bundles: Observation, Device, DeviceAssociation and
// Provenance, in two modes.
//
// Modern mode (the default) writes valid R5 that follows the vital-signs
// profiles where they apply. Legacy mode reproduces what the original Django
// service wrote, including its identifier values, so that sites migrating from
// it keep deduplicating against data it already stored; the original's bugs
// are not reproduced (docs/mapping.md lists every difference).
//
// Every resource gets a deterministic id and identifier derived from the
// provider-record identity, never from the value, so a corrected value at the
// provider updates the same resource. Mapping is pure: the package does no I/O,
// reads no clock (the caller passes "now") and keeps no package-level state.
// Its errors name fields and positions, never health values.
package fhir
