package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
)

// ProviderSettings is a site's configuration of one provider.
type ProviderSettings struct {
	Provider            string
	Enabled             bool
	ExcludedDataTypes   []string
	SuccessURL          string
	ErrorURL            string
	AllowedRedirectURLs []string // prefixes a linking flow may redirect to
}

// ProviderSettings returns the settings of provider, or the defaults
// (enabled, nothing excluded, no redirects) when none were saved.
func (tx *Tx) ProviderSettings(ctx context.Context, provider string) (ProviderSettings, error) {
	s := ProviderSettings{Provider: provider, Enabled: true}
	var excluded, allowed string
	err := tx.tx.QueryRowContext(ctx, `SELECT enabled, excluded_data_types, success_url, error_url, allowed_redirect_urls
		FROM provider_settings WHERE provider = $1`, provider).Scan(&s.Enabled, &excluded, &s.SuccessURL, &s.ErrorURL, &allowed)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	if err != nil {
		return s, fmt.Errorf("get provider settings: %w", err)
	}
	if err := json.Unmarshal([]byte(excluded), &s.ExcludedDataTypes); err != nil {
		return s, fmt.Errorf("provider settings %s: excluded_data_types: %w", provider, err)
	}
	if err := json.Unmarshal([]byte(allowed), &s.AllowedRedirectURLs); err != nil {
		return s, fmt.Errorf("provider settings %s: allowed_redirect_urls: %w", provider, err)
	}
	return s, nil
}

// PutProviderSettings creates or replaces the settings of s.Provider.
func (tx *Tx) PutProviderSettings(ctx context.Context, s ProviderSettings) error {
	excluded, _ := json.Marshal(nonNil(s.ExcludedDataTypes))
	allowed, _ := json.Marshal(nonNil(s.AllowedRedirectURLs))
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO provider_settings
		(provider, enabled, excluded_data_types, success_url, error_url, allowed_redirect_urls, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (provider) DO UPDATE SET enabled = excluded.enabled,
			excluded_data_types = excluded.excluded_data_types, success_url = excluded.success_url,
			error_url = excluded.error_url, allowed_redirect_urls = excluded.allowed_redirect_urls,
			updated_at = excluded.updated_at`,
		s.Provider, s.Enabled, string(excluded), s.SuccessURL, s.ErrorURL, string(allowed), tx.now)
	if err != nil {
		return fmt.Errorf("put provider settings: %w", err)
	}
	return nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
