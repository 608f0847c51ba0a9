// Package fitbit reads Fitbit data through the Google Health API: the API
// client (Google OAuth with optional PKCE, data point lists with window
// filters and pagination, paired devices, daily roll-ups, error
// classification and retries) and the decoders that turn each raw response
// body into the provider-neutral vocabulary of package health. Its emulator
// is package fitbittest.
//
// Decode is pure: it does no I/O, keeps no state between calls and never
// panics on malformed input. It reads proto3 JSON as the Google Health API
// sends it rather than as a naive reading of the schema suggests: int64
// fields as strings, zero values omitted, units fixed by field name (grams,
// millimetres, kcal, ms, °C, %) and converted to each kind's unit, physical
// times with the user's UTC offset of the moment, daily types as civil dates,
// and the data source of list points for device attribution and origin.
//
// Identity follows the API: identifiable types (sleep, weight, body fat,
// height; ECG and core body temperature when a name is present) are keyed on
// the data point's resource name; the others have no name and are keyed on
// data type, time and data source, never on the value, so a corrected value
// updates the same FHIR resource. The read API has no tombstones: a deleted
// point simply stops being listed, so there is nothing to skip here.
//
// The package never stores health values and never puts one in an error or
// a log line: errors name the source, field and position only.
package fitbit
