package httpapi

import (
	"cmp"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/provider/fitbit"
	"github.com/ohx-health/ohx/internal/store"
)

// FitbitWebhook configures the endpoint of ohx's Google Health API
// subscriber (reference §6): Google POSTs its verification handshake and
// then batches of notifications there, for every consenting user.
//
// Authentication is the shared secret alone: Google sends the subscriber's
// endpointAuthorization.secret verbatim in the Authorization header, and
// ohx compares it in constant time. The ECDSA P-256 payload signature
// (GOOGLE-HEALTH-API-SIGNATURE, formerly X-HEALTHAPI-SIGNATURE, made with
// Google's published Tink keyset) is not verified yet: that needs Google's
// keyset, fetched and cached over the network; it is future work. Until
// then a request without the secret is refused, even if it is signed.
type FitbitWebhook struct {
	// Secret is the exact Authorization header value configured on the
	// Google subscriber, scheme included (e.g. "Bearer xyz"). Empty refuses
	// every request.
	Secret string
}

// maxFitbitWebhookBody bounds a request: Google batches up to 99
// notifications (well under 1 KiB each) per POST.
const maxFitbitWebhookBody = 1 << 20

// fitbitMargin widens a notified interval: points carry their own
// timestamps, which may sit a little outside the interval announced.
const fitbitMargin = 15 * time.Minute

// handleFitbitWebhook verifies a Google Health API webhook request by its
// Authorization secret, answers the verification handshake with 201, and
// otherwise enqueues, in one transaction, one sync per link and data group
// the notifications announce, answering 204 at once. It never calls Google
// or the FHIR server, and never logs the secret or the body.
func handleFitbitWebhook(d Deps) http.Handler {
	count := func(outcome string, n int) {
		if n > 0 {
			d.Metrics.Webhooks.WithLabelValues("fitbit", outcome).Add(float64(n))
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if d.Fitbit == nil {
			writeError(w, r, d, health.Errorf(health.KindNotFound, "Fitbit is not configured"))
			return
		}
		// The handshake's second request, without Authorization, must get
		// 401 (or 403): the same answer as any unauthenticated request.
		auth := r.Header.Get("Authorization")
		if d.Fitbit.Secret == "" || subtle.ConstantTimeCompare([]byte(auth), []byte(d.Fitbit.Secret)) != 1 {
			count("unauthorized", 1)
			writeError(w, r, d, health.Errorf(health.KindUnauthorized, "invalid or missing webhook authorization"))
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxFitbitWebhookBody+1))
		if err != nil || len(body) > maxFitbitWebhookBody {
			count("invalid", 1)
			writeError(w, r, d, health.Errorf(health.KindInvalid, "notification body unreadable or too large"))
			return
		}
		verification, notes, err := fitbit.ParseNotifications(body)
		if err != nil {
			count("invalid", 1) // 400: Google retries, which will not help, but says so in its delivery log
			writeError(w, r, d, err)
			return
		}
		if verification {
			count("verification", 1)
			w.WriteHeader(http.StatusCreated)
			return
		}
		outcomes, err := acceptFitbit(r, d, notes, time.Now())
		if err != nil {
			// 503 so that Google keeps the batch and retries (for up to 7 days).
			count("error", 1)
			d.Logger.ErrorContext(r.Context(), "fitbit webhook: enqueue failed", "notifications", len(notes), "error", err)
			w.Header().Set("Retry-After", "60")
			writeJSON(w, http.StatusServiceUnavailable, map[string]any{
				"error": "temporarily unavailable", "code": string(health.KindUnavailable)})
			return
		}
		for outcome, n := range outcomes {
			count(outcome, n)
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// fitbitKey is one link's data group: what one sync job fetches.
type fitbitKey struct {
	linkID int64
	group  string
}

// acceptFitbit applies a batch in one transaction: each notification is
// mapped to its user's live link and to the data group that reads its data
// type; the windows of one link and group are merged (earliest start,
// latest end) and enqueued as one webhook sync, which EnqueueSync merges in
// turn with the waiting syncs it overlaps, so duplicate deliveries add no
// job. It returns the count of notifications by outcome: accepted,
// unknown_user (acknowledged, so Google does not retry it for 7 days),
// ignored (a data type ohx does not read).
func acceptFitbit(r *http.Request, d Deps, notes []fitbit.Notification, now time.Time) (map[string]int, error) {
	ctx := r.Context()
	var outcomes map[string]int
	err := d.DB.InTx(ctx, func(tx *store.Tx) error {
		outcomes = map[string]int{}
		links := map[string]int64{} // healthUserId → live link id; 0 = none
		windows := map[fitbitKey][2]time.Time{}
		for _, n := range notes {
			linkID, seen := links[n.HealthUserID]
			if !seen {
				l, err := tx.LiveLinkByExternalUser(ctx, "fitbit", n.HealthUserID)
				switch {
				case errors.Is(err, store.ErrNotFound):
				case err != nil:
					return err
				default:
					linkID = l.ID
				}
				links[n.HealthUserID] = linkID
			}
			if linkID == 0 {
				outcomes["unknown_user"]++
				continue
			}
			group := fitbit.GroupOf(n.DataType)
			if group == "" {
				outcomes["ignored"]++
				continue
			}
			// A DELETE is synced like an upsert: the sync re-reads the
			// window, but ohx has no Fitbit deletion reconciliation yet, so
			// resources already published for deleted points stay on the
			// FHIR server until that exists.
			outcomes["accepted"]++
			start, end := fitbitWindow(n, now)
			k := fitbitKey{linkID, group}
			if w, ok := windows[k]; ok {
				if w[0].Before(start) {
					start = w[0]
				}
				if w[1].After(end) {
					end = w[1]
				}
			}
			windows[k] = [2]time.Time{start, end}
		}
		keys := make([]fitbitKey, 0, len(windows))
		for k := range windows {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b fitbitKey) int {
			return cmp.Or(cmp.Compare(a.linkID, b.linkID), cmp.Compare(a.group, b.group))
		})
		for _, k := range keys {
			w := windows[k]
			if _, err := jobs.EnqueueSync(ctx, d.Queue, tx, k.linkID, []string{k.group}, w[0], w[1], jobs.TriggerWebhook); err != nil {
				return err
			}
		}
		return nil
	})
	return outcomes, err
}

// fitbitWindow is the window to fetch for a notification: its interval
// widened by fitbitMargin, or, without one, the last 24 hours.
func fitbitWindow(n fitbit.Notification, now time.Time) (time.Time, time.Time) {
	if n.Start.IsZero() {
		return now.Add(-24 * time.Hour), now
	}
	return n.Start.Add(-fitbitMargin), n.End.Add(fitbitMargin)
}
