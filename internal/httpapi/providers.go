package httpapi

import (
	"net/http"
	"strconv"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/store"
)

// providerItem is a provider in the original's shape.
type providerItem struct {
	ID           int    `json:"id"`
	Name         string `json:"name"`
	ProviderType string `json:"provider_type"`
	Active       bool   `json:"active"`
}

// providerItems lists the configured providers with their enabled flag;
// ids are positions in that list, stable for a configuration.
func providerItems(r *http.Request, d Deps) ([]providerItem, error) {
	out := make([]providerItem, 0, len(d.Providers))
	err := d.DB.InTx(r.Context(), func(tx *store.Tx) error {
		for i, p := range d.Providers {
			s, err := tx.ProviderSettings(r.Context(), p)
			if err != nil {
				return err
			}
			out = append(out, providerItem{ID: i + 1, Name: providerTitle(p), ProviderType: p, Active: s.Enabled})
		}
		return nil
	})
	return out, err
}

// handleProviders lists the providers (original: ProviderViewSet.list, a
// bare array). It names no patient, so it needs no credential.
func handleProviders(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		items, err := providerItems(r, d)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		if id := r.PathValue("id"); id != "" {
			n, err := strconv.Atoi(id)
			if err != nil || n < 1 || n > len(items) {
				writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
				return
			}
			writeJSON(w, http.StatusOK, items[n-1])
			return
		}
		writeJSON(w, http.StatusOK, items)
	})
}

// handleCapabilities says what this ohx supports (original:
// /api/base/providers/capabilities/), from its real configuration.
func handleCapabilities(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kinds := make([]string, 0, 40)
		for _, k := range health.KindInfos() {
			kinds = append(kinds, string(k.Kind))
		}
		hooks := map[string]string{}
		for _, p := range d.Providers {
			hooks[p] = "/webhooks/" + p + "/"
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"supported_providers":  d.Providers,
			"supported_data_types": kinds,
			"webhook_endpoints":    hooks,
			"sync_frequencies": map[string]string{
				"real_time": "Webhook-triggered (immediate)",
				"periodic":  "Every " + d.SyncInterval.String() + " (safety net for missed webhooks)",
			},
		})
	})
}
