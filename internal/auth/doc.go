// Package auth authenticates API callers: OIDC bearer tokens of patients and
// API keys of services.
//
// Failures are *health.Error values. Their text says what was wrong, naming a
// claim at most; it never contains a credential or a claim's value.
package auth
