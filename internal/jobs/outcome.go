package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/store"
)

// outcome turns a worker's error into what River should do with the job.
// It is the only place that decides: transient failures retry with
// exponential backoff and jitter, a spent quota snoozes until it refills
// (at most maxSnooze), revoked authorisation and unreadable input cancel
// (retrying cannot help).
func outcome(err error, maxSnooze time.Duration) error {
	if err == nil {
		return nil
	}
	var he *health.Error
	if !errors.As(err, &he) {
		return err // unclassified: retry, bounded by MaxAttempts
	}
	switch he.Kind {
	case health.KindRateLimited:
		wait := time.Duration(he.RetryAfterSeconds) * time.Second
		if wait <= 0 {
			wait = time.Minute
		}
		if maxSnooze > 0 {
			wait = min(wait, maxSnooze)
		}
		return river.JobSnooze(wait)
	case health.KindAuthRevoked, health.KindInvalid, health.KindBadProvider, health.KindRejected,
		health.KindNotFound, health.KindForbidden:
		return river.JobCancel(err)
	default:
		return err
	}
}

// errorHandler logs failed and panicking jobs, and records the ones that
// used their last attempt (River discards them) in the audit log and a
// metric. Job errors are built to be safe to log: no tokens, no values.
type errorHandler struct {
	logger    *slog.Logger
	db        *store.DB
	discarded *prometheus.CounterVec
}

func (h *errorHandler) HandleError(ctx context.Context, job *rivertype.JobRow, err error) *river.ErrorHandlerResult {
	h.logger.WarnContext(ctx, "job failed", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt,
		"error_kind", string(health.KindOf(err)), "error", err)
	var cancel *river.JobCancelError
	if job.Attempt >= job.MaxAttempts && !errors.As(err, &cancel) {
		h.recordDiscard(ctx, job, err)
	}
	return nil
}

// recordDiscard notes a job given up after its last attempt.
func (h *errorHandler) recordDiscard(ctx context.Context, job *rivertype.JobRow, err error) {
	if h.discarded != nil {
		h.discarded.WithLabelValues(job.Kind, string(health.KindOf(err))).Inc()
	}
	if h.db == nil {
		return
	}
	var args struct {
		LinkID int64 `json:"link_id"`
	}
	_ = json.Unmarshal(job.EncodedArgs, &args)
	aerr := h.db.InTx(context.WithoutCancel(ctx), func(tx *store.Tx) error {
		return tx.AddAudit(ctx, store.AuditEvent{Actor: "system", Action: "job.discarded", LinkID: args.LinkID,
			Detail: fmt.Sprintf("%s job %d given up after %d attempts (%s)", job.Kind, job.ID, job.Attempt, health.KindOf(err))})
	})
	if aerr != nil {
		h.logger.ErrorContext(ctx, "cannot audit a discarded job", "job_id", job.ID, "error", aerr)
	}
}

func (h *errorHandler) HandlePanic(ctx context.Context, job *rivertype.JobRow, panicVal any, trace string) *river.ErrorHandlerResult {
	h.logger.ErrorContext(ctx, "job panicked", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "trace", trace)
	return nil
}

// backoff is River's retry policy for ohx: exponential from base, capped at
// max, with "equal jitter" (half fixed, half random) so a failed peer's
// recovery is not met by every job at once.
type backoff struct{ base, max time.Duration }

func (b *backoff) NextRetry(job *rivertype.JobRow) time.Time {
	return time.Now().Add(b.delay(job.Attempt, rand.Float64()))
}

// delay is the wait before retrying after attempt n (from 1), for a
// random number r in [0, 1).
func (b *backoff) delay(n int, r float64) time.Duration {
	d := b.max
	if n < 32 {
		d = min(b.max, b.base<<max(0, n-1))
	}
	return d/2 + time.Duration(r*float64(d/2))
}
