package httpapi

import (
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/provider/withings"
	"github.com/ohx-health/ohx/internal/store"
)

// WithingsWebhook configures the Withings notification endpoint.
type WithingsWebhook struct {
	// Token is the secret ohx put in the callback URL it registered.
	Token string
}

// maxWebhookBody bounds a notification; real ones are under 200 bytes.
const maxWebhookBody = 16 << 10

// handleWithingsProbe answers Withings' HEAD (and GET) probes of the
// callback URL. GET ?challenge=X echoes X, as the original service did.
func handleWithingsProbe() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := r.URL.Query().Get("challenge"); c != "" && r.Method == http.MethodGet && len(c) <= 256 {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = io.WriteString(w, c)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// handleWithingsWebhook verifies a notification by the secret in its URL,
// records and enqueues the syncs it announces in one transaction, and
// answers at once. It never calls Withings or the FHIR server.
func handleWithingsWebhook(d Deps) http.Handler {
	count := func(outcome string) { d.Metrics.Webhooks.WithLabelValues("withings", outcome).Inc() }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Withings == nil {
			writeError(w, r, d, health.Errorf(health.KindNotFound, "Withings is not configured"))
			return
		}
		token := r.URL.Query().Get("token")
		if subtle.ConstantTimeCompare([]byte(token), []byte(d.Withings.Token)) != 1 {
			count("unauthorized")
			writeError(w, r, d, health.Errorf(health.KindUnauthorized, "invalid or missing webhook token"))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody+1))
		if err != nil || len(body) > maxWebhookBody {
			count("invalid")
			writeError(w, r, d, health.Errorf(health.KindInvalid, "notification body unreadable or too large"))
			return
		}
		n, err := withings.ParseNotification(r.Header.Get("Content-Type"), body)
		if err != nil {
			count("invalid")
			writeError(w, r, d, err)
			return
		}
		outcome, ids, err := acceptWithings(r, d, n)
		if err != nil {
			writeError(w, r, d, err)
			return
		}
		count(outcome)
		tasks := make([]map[string]any, 0, len(ids))
		for _, id := range ids {
			tasks = append(tasks, map[string]any{"task_id": strconv.FormatInt(id, 10), "user_id": n.UserID})
		}
		writeJSON(w, http.StatusAccepted, map[string]any{
			"status": "accepted", "provider": "withings", "queued_tasks": len(ids), "tasks": tasks,
			"timestamp": time.Now().UTC().Format(time.RFC3339), "message": "queued " + strconv.Itoa(len(ids)) + " sync task(s)",
		})
	})
}

// acceptWithings applies one notification in a transaction: it revokes the
// link on an unlink/delete action, or enqueues a sync of each data group
// the appli announces over the notified window.
func acceptWithings(r *http.Request, d Deps, n withings.Notification) (outcome string, ids []int64, err error) {
	ctx := r.Context()
	err = d.DB.InTx(ctx, func(tx *store.Tx) error {
		l, err := tx.LiveLinkByExternalUser(ctx, "withings", n.UserID)
		if errors.Is(err, store.ErrNotFound) {
			outcome = "unknown_user" // acknowledged: Withings would retry an error for hours
			return nil
		}
		if err != nil {
			return err
		}
		if n.Appli == withings.AppliUser && (n.Action == "unlink" || n.Action == "delete") {
			outcome = "revoked"
			// Stop syncing now; the unlink job ends the device associations.
			if err := tx.SetLinkStatus(ctx, l.ID, store.LinkRevoked); err != nil {
				return err
			}
			if err := tx.AddAudit(ctx, store.AuditEvent{Actor: "provider:withings", Action: "link.revoked_by_provider",
				PatientID: l.PatientID, LinkID: l.ID, Provider: "withings", Detail: "Withings notified action " + n.Action}); err != nil {
				return err
			}
			return jobs.EnqueueUnlink(ctx, d.Queue, tx, l.ID, "provider:withings")
		}
		groups := withings.GroupsOf(n.Appli)
		if len(groups) == 0 {
			outcome = "ignored"
			return nil
		}
		start, end := notifiedWindow(n, time.Now())
		outcome = "accepted"
		ids, err = jobs.EnqueueSync(ctx, d.Queue, tx, l.ID, groups, start, end, jobs.TriggerWebhook)
		return err
	})
	return outcome, ids, err
}

// notifiedWindow is the window to fetch for a notification: its
// startdate–enddate widened by five minutes, or the notified day with a day
// either side (time zones), or else the last day.
func notifiedWindow(n withings.Notification, now time.Time) (time.Time, time.Time) {
	const margin = 5 * time.Minute
	switch {
	case !n.Start.IsZero() && !n.End.IsZero():
		return n.Start.Add(-margin), n.End.Add(margin)
	case n.DateIsDay:
		return n.Date.Add(-24 * time.Hour), n.Date.Add(48*time.Hour - time.Second)
	case !n.Date.IsZero():
		return n.Date.Add(-time.Hour), n.Date.Add(time.Hour)
	}
	return now.Add(-24 * time.Hour), now
}
