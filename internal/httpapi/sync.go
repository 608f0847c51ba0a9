package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/auth"
	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/store"
)

// liveLinks returns the patient's links that are not unlinked, of provider
// when it is not empty. For an unknown patient it writes a 404 with
// notFound (the original's wording differs by endpoint) and returns false.
func liveLinks(w http.ResponseWriter, r *http.Request, d Deps, ehr, provider, notFound string) ([]store.Link, bool) {
	var out []store.Link
	err := d.DB.InTx(r.Context(), func(tx *store.Tx) error {
		p, err := tx.PatientByEHRID(r.Context(), ehr)
		if err != nil {
			return err
		}
		all, err := tx.LinksOfPatient(r.Context(), p.ID)
		for _, l := range all {
			if l.Status != store.LinkRevoked && (provider == "" || l.Provider == provider) {
				out = append(out, l)
			}
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf(notFound, ehr)})
		return nil, false
	}
	if err != nil {
		writeError(w, r, d, err)
		return nil, false
	}
	return out, true
}

// handleSyncProviders lists a patient's connected providers (original:
// /api/base/sync/providers/). The original exposed the raw token-bearing
// extra_data; ohx gives the link's status and scopes in its place.
func handleSyncProviders(d Deps) http.Handler {
	return requireAuth(d, func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		ehr, ok := patientParam(w, r, d, p, "")
		if !ok {
			return
		}
		links, ok := liveLinks(w, r, d, ehr, "", "User %s not found")
		if !ok {
			return
		}
		items, err := providerItems(r, d)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		out := make([]map[string]any, 0, len(links))
		for _, l := range links {
			var prov providerItem
			for _, it := range items {
				if it.ProviderType == l.Provider {
					prov = it
				}
			}
			out = append(out, map[string]any{"id": l.ID, "provider": prov, "external_user_id": l.ExternalUserID,
				"extra_data": map[string]any{"status": l.Status, "scopes": splitScopes(l.Scopes)},
				"linked_at":  l.LinkedAt.UTC().Format("2006-01-02T15:04:05.999999Z")})
		}
		writeJSON(w, http.StatusOK, map[string]any{"ehr_user_id": ehr, "connected_providers": out, "total_providers": len(out)})
	})
}

func splitScopes(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// handleSyncDevices lists the devices of a patient's links (original:
// /api/base/sync/devices/, which searched the FHIR server and returned
// every patient's devices). ohx answers from what it recorded of this
// patient's links; id is the FHIR Device id it writes.
func handleSyncDevices(d Deps) http.Handler {
	return requireAuth(d, func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		ehr, ok := patientParam(w, r, d, p, "")
		if !ok {
			return
		}
		provider := r.URL.Query().Get("provider")
		if provider != "" && !supportedProvider(w, d, provider) {
			return
		}
		links, ok := liveLinks(w, r, d, ehr, provider, "User %s not found")
		if !ok {
			return
		}
		devices := []map[string]any{}
		err := d.DB.InTx(r.Context(), func(tx *store.Tx) error {
			for _, l := range links {
				ds, err := tx.LinkDevices(r.Context(), l.ID)
				if err != nil {
					return err
				}
				for _, dev := range ds {
					status := "active"
					if !dev.EndedAt.IsZero() {
						status = "inactive"
					}
					devices = append(devices, map[string]any{"id": fhir.DeviceID(l.Provider, dev.DeviceID),
						"provider": l.Provider, "provider_device_id": dev.DeviceID, "status": status,
						"last_updated": dev.LastSeen.Format(time.RFC3339), "manufacturer": nil, "model": nil, "type": nil})
				}
			}
			return nil
		})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		var filter any
		if provider != "" {
			filter = provider
		}
		writeJSON(w, http.StatusOK, map[string]any{"ehr_user_id": ehr, "devices": devices, "total_devices": len(devices),
			"provider_filter": filter})
	})
}

// handleTriggerDeviceSync queues a device sync of the patient's link
// (original: trigger_device_sync, which ran a mock synchronously). It
// answers 202 with the job id as sync_id.
func handleTriggerDeviceSync(d Deps) http.Handler {
	return requireAuth(d, func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		var body struct {
			EHRUserID string `json:"ehr_user_id"`
			Provider  string `json:"provider"`
		}
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if t, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); t == "application/json" {
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
				writeJSON(w, http.StatusBadRequest, map[string]any{"non_field_errors": []string{"Invalid JSON body."}})
				return
			}
		} else {
			_ = r.ParseForm()
			body.EHRUserID, body.Provider = r.PostForm.Get("ehr_user_id"), r.PostForm.Get("provider")
		}
		if body.Provider == "" {
			writeJSON(w, http.StatusBadRequest, map[string]any{"provider": []string{"This field is required."}})
			return
		}
		if !supportedProvider(w, d, body.Provider) {
			return
		}
		ehr, ok := patientParam(w, r, d, p, body.EHRUserID)
		if !ok {
			return
		}
		links, ok := liveLinks(w, r, d, ehr, body.Provider, "User %s not found")
		if !ok {
			return
		}
		var active *store.Link
		for i := range links {
			if links[i].Status == store.LinkActive {
				active = &links[i]
			}
		}
		if active == nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("No active %s connection found for user %s", body.Provider, ehr)})
			return
		}
		var ids []int64
		err := d.DB.InTx(r.Context(), func(tx *store.Tx) (err error) {
			ids, err = jobs.EnqueueSync(r.Context(), d.Queue, tx, active.ID, []string{"devices"}, time.Time{}, time.Time{}, jobs.TriggerManual)
			return err
		})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		syncID := ""
		if len(ids) > 0 {
			syncID = "device-sync-" + strconv.FormatInt(ids[0], 10)
		}
		writeJSON(w, http.StatusAccepted, map[string]any{"message": "Device sync queued", "sync_id": syncID,
			"ehr_user_id": ehr, "provider": body.Provider})
	})
}
