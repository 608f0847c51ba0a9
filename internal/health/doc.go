// Package health is ohx's provider-neutral vocabulary: the kinds of
// measurement a wearable can report, the devices that report them, and the
// one error type every layer classifies failures with.
//
// Provider packages (withings, fitbit) decode raw API responses into these
// types; package fhir maps them to FHIR R5. Keeping the vocabulary in its own
// package lets both sides evolve independently: a decoder never knows about
// FHIR, and the mapping never knows about a provider's wire format.
//
// The package does no I/O and imports no other ohx package. Values here are
// health data: they never go into an error message, a log line or a metric
// label; errors name fields and positions only.
package health
