package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/auth"
	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/link"
	"github.com/ohx-health/ohx/internal/store"
)

// validEHRUserID is what ohx accepts as a patient id: the id of the FHIR
// Patient it writes to ("Patient/{id}").
var validEHRUserID = regexp.MustCompile(`^[A-Za-z0-9\-.]{1,64}$`)

// patientParam reads the patient a request is about: the ehr_user_id
// parameter, else the patient the token belongs to. The error bodies are
// the original service's.
func patientParam(w http.ResponseWriter, r *http.Request, d Deps, p auth.Principal, fromBody string) (string, bool) {
	ehr := r.URL.Query().Get("ehr_user_id")
	if ehr == "" {
		ehr = fromBody
	}
	if ehr == "" {
		ehr = p.EHRUserID
	}
	switch {
	case ehr == "":
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "No EHR user ID provided",
			"message": "Please provide ehr_user_id parameter or authenticate as a user"})
		return "", false
	case !validEHRUserID.MatchString(ehr):
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "ehr_user_id is not a valid FHIR Patient id"})
		return "", false
	}
	return ehr, authorized(w, r, d, p, ehr)
}

// supportedProvider answers 400 in the original's shape unless provider is
// configured here.
func supportedProvider(w http.ResponseWriter, d Deps, provider string) bool {
	if slices.Contains(d.Providers, provider) {
		return true
	}
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": "Unsupported provider: " + provider,
		"supported_providers": d.Providers})
	return false
}

// providerAndPatient reads the {provider} of the path and the patient of
// the request, and answers the error itself when either is refused.
func providerAndPatient(w http.ResponseWriter, r *http.Request, d Deps, p auth.Principal, fromBody string) (string, string, bool) {
	provider := r.PathValue("provider")
	if !supportedProvider(w, d, provider) {
		return "", "", false
	}
	ehr, ok := patientParam(w, r, d, p, fromBody)
	return provider, ehr, ok
}

// handleLinkStart starts linking (original: InitiateProviderLinkingView):
// a browser or webview is redirected to the provider's consent page; a
// client asking for JSON gets the URL to open instead. success_url and
// error_url, when given, must be allowed for the provider.
func handleLinkStart(d Deps) http.Handler {
	return requireAuth(d, func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		provider, ehr, ok := providerAndPatient(w, r, d, p, "")
		if !ok {
			return
		}
		q := r.URL.Query()
		authURL, err := d.Links.Begin(r.Context(), ehr, provider, link.Redirects{Success: q.Get("success_url"), Error: q.Get("error_url")})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		if wantsJSON(r) {
			writeJSON(w, http.StatusOK, map[string]string{"authorization_url": authURL, "provider": provider, "ehr_user_id": ehr})
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, authURL, http.StatusFound)
	})
}

func wantsJSON(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		if t, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && t == "application/json" {
			return true
		}
	}
	return false
}

// handleLinkCallback is the OAuth redirect URI (original:
// /social/complete/<backend>/). The single-use state binds it to the
// patient and the redirects chosen at the start; it needs no session.
func handleLinkCallback(d Deps) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		provider := r.PathValue("provider")
		if !slices.Contains(d.Providers, provider) {
			writeError(w, r, d, health.Errorf(health.KindNotFound, "unknown provider"))
			return
		}
		q := r.URL.Query()
		if denied := q.Get("error"); denied != "" {
			done, err := d.Links.Abandon(r.Context(), provider, q.Get("state"))
			code := "access_denied"
			if denied != code {
				code = "provider_error"
			}
			if err != nil {
				code = "invalid_state"
			}
			renderLinkResult(w, provider, done, code, "Provider linking failed")
			return
		}
		done, err := d.Links.Complete(r.Context(), provider, q.Get("state"), q.Get("code"))
		if err != nil {
			kind := health.KindOf(err)
			if statusOf(kind) >= 500 {
				d.Logger.ErrorContext(r.Context(), "link callback failed", "provider", provider, "error_kind", string(kind), "error", err)
			}
			renderLinkResult(w, provider, done, string(kind), health.MessageOf(err))
			return
		}
		renderLinkResult(w, provider, done, "", "")
	})
}

// renderLinkResult ends a linking flow in the patient's browser: a page
// that forwards to the app's deep link with provider, ehr_user_id, status
// and, on failure, error and message (the original's parameters), or a
// plain page when no deep link was given.
func renderLinkResult(w http.ResponseWriter, provider string, done link.Completed, errCode, message string) {
	target, status := done.To.Success, "success"
	if errCode != "" {
		target, status = done.To.Error, "error"
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	code := http.StatusOK
	if errCode != "" && target == "" {
		code = http.StatusBadRequest
	}
	page := resultPage{Provider: providerTitle(provider), OK: errCode == "", Message: message}
	if u, err := url.Parse(target); target != "" && err == nil && safeScheme(u.Scheme) {
		v := u.Query()
		v.Set("provider", provider)
		if done.EHRUserID != "" {
			v.Set("ehr_user_id", done.EHRUserID)
		}
		v.Set("status", status)
		if errCode != "" {
			v.Set("error", errCode)
			v.Set("message", message)
		}
		u.RawQuery = v.Encode()
		// Trusted: the target passed the provider's allowed prefixes at the
		// start of the flow (or is the operator's own default), and its
		// scheme is not a script's.
		page.Redirect = template.URL(u.String())
	}
	w.WriteHeader(code)
	_ = resultTemplate.Execute(w, page)
}

// handleLinkPage serves the original's end-of-linking pages, which ohx's
// own flow no longer passes through (its callback answers directly); old
// bookmarks still get a page.
func handleLinkPage(ok bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code := ""
		if !ok {
			code = "unknown_error"
		}
		renderLinkResult(w, r.URL.Query().Get("provider"), link.Completed{}, code, "Provider linking failed")
	})
}

// safeScheme refuses URL schemes that would run code on ohx's origin; the
// allowed prefixes of a provider's settings are the real guard.
func safeScheme(s string) bool {
	switch strings.ToLower(s) {
	case "", "javascript", "data", "vbscript", "file":
		return false
	}
	return true
}

func providerTitle(p string) string {
	if p == "" {
		return p
	}
	return strings.ToUpper(p[:1]) + p[1:]
}

type resultPage struct {
	Provider, Message string
	Redirect          template.URL
	OK                bool
}

// resultTemplate is the end-of-linking page; html/template escapes the
// redirect for the attribute and for the script.
var resultTemplate = template.Must(template.New("result").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
{{if .Redirect}}<meta http-equiv="refresh" content="0;url={{.Redirect}}">{{end}}
<title>{{.Provider}} {{if .OK}}linked{{else}}not linked{{end}}</title></head>
<body>
{{if .OK}}<p>Your {{.Provider}} account is linked. You can close this window.</p>
{{else}}<p>Your {{.Provider}} account could not be linked: {{.Message}}</p>{{end}}
{{if .Redirect}}<p>Redirecting to app...</p><script>window.location.href = {{.Redirect}};</script>{{end}}
</body></html>
`))

// linkInfo is one link in the original's status shape.
type linkInfo struct {
	ProviderName   string `json:"provider_name"`
	ProviderType   string `json:"provider_type"`
	ExternalUserID string `json:"external_user_id"`
	Active         bool   `json:"active"`
	Status         string `json:"status"` // active, needs_reauth: ohx's addition
	LinkedAt       string `json:"linked_at"`
}

// handleLinkStatus answers whether a patient is linked to a provider
// (original: provider_linking_status).
func handleLinkStatus(d Deps) http.Handler {
	return requireAuth(d, func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		provider, ehr, ok := providerAndPatient(w, r, d, p, "")
		if !ok {
			return
		}
		links, ok := liveLinks(w, r, d, ehr, provider, "EHR user %s not found")
		if !ok {
			return
		}
		out := make([]linkInfo, 0, len(links))
		linked := false
		for _, l := range links {
			linked = linked || l.Status == store.LinkActive
			out = append(out, linkInfo{ProviderName: providerTitle(provider), ProviderType: provider, ExternalUserID: l.ExternalUserID,
				Active: l.Status == store.LinkActive, Status: string(l.Status), LinkedAt: l.LinkedAt.UTC().Format("2006-01-02T15:04:05.999999-07:00")})
		}
		writeJSON(w, http.StatusOK, map[string]any{"ehr_user_id": ehr, "provider": provider, "linked": linked,
			"links": out, "total_links": len(out)})
	})
}

// handleUnlink takes a patient's links to a provider down (original:
// unlink_provider). The link stops syncing at once; a job removes the
// provider subscriptions, shreds the tokens, revokes ohx's access at the
// provider and ends the device associations within seconds.
func handleUnlink(d Deps) http.Handler {
	return requireAuth(d, func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		provider, ehr, ok := providerAndPatient(w, r, d, p, bodyEHRUserID(r))
		if !ok {
			return
		}
		links, ok := liveLinks(w, r, d, ehr, provider, "EHR user %s not found")
		if !ok {
			return
		}
		if len(links) == 0 {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("No %s connection found for user %s", provider, ehr)})
			return
		}
		err := d.DB.InTx(r.Context(), func(tx *store.Tx) error {
			for _, l := range links {
				if err := tx.AddAudit(r.Context(), store.AuditEvent{Actor: p.Actor(), Action: "link.unlink_requested",
					PatientID: l.PatientID, LinkID: l.ID, Provider: l.Provider, Detail: "API"}); err != nil {
					return err
				}
				if err := jobs.EnqueueUnlink(r.Context(), d.Queue, tx, l.ID, p.Actor()); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"message": "Successfully unlinked " + provider,
			"ehr_user_id": ehr, "provider": provider, "status": "unlinked"})
	})
}

// bodyEHRUserID reads ehr_user_id from a form or JSON body, as the
// original accepted it there too.
func bodyEHRUserID(r *http.Request) string {
	r.Body = http.MaxBytesReader(nil, r.Body, 64<<10)
	if t, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); t == "application/json" {
		var b struct {
			EHRUserID string `json:"ehr_user_id"`
		}
		_ = json.NewDecoder(r.Body).Decode(&b)
		return b.EHRUserID
	}
	_ = r.ParseForm()
	return r.PostForm.Get("ehr_user_id")
}

// syncStatus is one provider's entry in the original's sync status shape.
type syncStatus struct {
	Status        string   `json:"status"`
	LastSync      *string  `json:"last_sync"`
	RecordsSynced *int64   `json:"records_synced"`
	Errors        []string `json:"errors"`
}

// handleSyncStatus reports the patient's last syncs (original:
// /api/base/sync/status/), from ohx's per-group sync bookkeeping.
func handleSyncStatus(d Deps) http.Handler {
	return requireAuth(d, func(w http.ResponseWriter, r *http.Request, p auth.Principal) {
		ehr, ok := patientParam(w, r, d, p, "")
		if !ok {
			return
		}
		providers := d.Providers
		only := r.URL.Query().Get("provider")
		if only != "" {
			if !supportedProvider(w, d, only) {
				return
			}
			providers = []string{only}
		}
		status := map[string]syncStatus{}
		err := d.DB.InTx(r.Context(), func(tx *store.Tx) error {
			pt, err := tx.PatientByEHRID(r.Context(), ehr)
			if err != nil {
				return err
			}
			links, err := tx.LinksOfPatient(r.Context(), pt.ID)
			if err != nil {
				return err
			}
			for _, prov := range providers {
				status[prov] = syncStatus{Status: "no_recent_sync", Errors: []string{}}
				for _, l := range links {
					if l.Provider != prov || l.Status == store.LinkRevoked {
						continue
					}
					states, err := tx.SyncStates(r.Context(), l.ID)
					if err != nil {
						return err
					}
					status[prov] = summarize(l, states)
				}
			}
			return nil
		})
		if errors.Is(err, store.ErrNotFound) {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("User %s not found", ehr)})
			return
		}
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		if only != "" {
			s := status[only]
			writeJSON(w, http.StatusOK, map[string]any{"ehr_user_id": ehr, "provider": only, "status": s.Status,
				"last_sync": s.LastSync, "records_synced": s.RecordsSynced, "errors": s.Errors})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ehr_user_id": ehr, "providers": status})
	})
}

// summarize folds a link's per-group sync states into one status: the
// latest attempt decides completed or failed; records are the published
// resources of every group.
func summarize(l store.Link, states []store.SyncState) syncStatus {
	s := syncStatus{Status: "no_recent_sync", Errors: []string{}}
	if l.Status == store.LinkNeedsReauth {
		s.Status = "failed"
		s.Errors = append(s.Errors, "the account needs to be linked again")
	}
	var last time.Time
	var published int64
	failures := 0
	for _, st := range states {
		published += st.Published
		if st.LastAttemptAt.After(last) {
			last = st.LastAttemptAt
		}
		if st.LastErrorClass != "" && !st.LastErrorAt.Before(st.LastSuccessAt) {
			failures++
		}
	}
	if last.IsZero() {
		return s
	}
	at := last.UTC().Format(time.RFC3339)
	s.LastSync, s.RecordsSynced = &at, &published
	if s.Status != "failed" {
		s.Status = "completed"
	}
	if failures > 0 {
		s.Status = "failed"
		s.Errors = append(s.Errors, fmt.Sprintf("%d error(s) during sync", failures))
	}
	return s
}
