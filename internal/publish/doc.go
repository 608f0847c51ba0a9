// Package publish writes FHIR Bundles built by package fhir to where they
// belong: the EHR's FHIR R5 server (ServerSink) or, when no server is
// configured, one JSON file per resource in a local directory (DirSink).
//
// ServerSink posts transaction and batch Bundles, reads every entry's status
// and OperationOutcome and classifies each failure once as a health.Error: a
// refused resource is KindRejected and is not worth retrying; a 5xx, a 429,
// a timeout or a dropped connection is KindTransient, KindRateLimited or
// KindUnavailable and the caller retries the whole Bundle, which is safe
// because every entry is a PUT to a deterministic id or a conditional create.
// It authenticates with nothing, a static bearer token, OAuth2 client
// credentials or SMART Backend Services (private_key_jwt), guards the server
// with a circuit breaker, and refuses servers that do not speak FHIR 5.x.
//
// The package never logs, returns or stores a health value, a token or a
// secret: errors and results name resource types, ids, HTTP statuses, issue
// codes and element paths only, and a server's diagnostics text is returned
// with quoted strings and numbers masked, because servers echo submitted
// values there. It keeps no package-level state: everything it needs is
// passed to New.
package publish
