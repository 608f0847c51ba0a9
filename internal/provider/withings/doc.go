// Package withings reads health data from the Withings API: the HTTP client,
// OAuth endpoints and notification parsing, and the decoders that turn raw
// response bodies into the provider-neutral vocabulary of package health.
//
// The decoders (Decode, and the Decode…Page functions with their Batch
// methods) are pure: they do no I/O, keep no state between calls and never
// panic on malformed input. They tolerate what real Withings data does
// rather than what its documentation promises: userid, model and deviceid
// as a number, a string or null; modelid spelled model_id; values scaled by
// 10^unit with the unit varying by device and era; undocumented attrib
// values and meastypes; series keyed by epoch strings; -1 as "not
// available". Every measurement carries the identity of its provider record
// (group id and meastype, civil date, sleep id, ECG signal id) so that a
// value corrected at Withings updates the same FHIR resource.
//
// The package never stores health values and never puts one in an error or
// a log line: errors name the source, field and position only.
package withings
