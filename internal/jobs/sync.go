package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ohx-health/ohx/internal/breaker"
	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/metrics"
	"github.com/ohx-health/ohx/internal/publish"
	"github.com/ohx-health/ohx/internal/store"
)

// Triggers say why a sync runs; they set its priority.
const (
	TriggerWebhook     = "webhook"     // a provider notification: first in line
	TriggerManual      = "manual"      // an operator or the API asked
	TriggerIncremental = "incremental" // the periodic safety net
	TriggerInitial     = "initial"     // backfill after linking: last in line
)

// priority maps a trigger to a River priority (1 is served first).
func priority(trigger string) int {
	switch trigger {
	case TriggerWebhook:
		return 1
	case TriggerIncremental:
		return 3
	case TriggerInitial:
		return 4
	}
	return 2 // manual, and anything else
}

// SyncArgs asks for one data group of one link to be fetched, mapped and
// published. Start and End bound the window; both zero means "since the
// stored cursor". Args hold ids and times only.
type SyncArgs struct {
	LinkID  int64     `json:"link_id"`
	Group   string    `json:"group"`
	Start   time.Time `json:"start,omitzero"`
	End     time.Time `json:"end,omitzero"`
	Trigger string    `json:"trigger"`
}

// Kind is the stable job kind.
func (SyncArgs) Kind() string { return "ohx.sync" }

// InsertOpts collapses identical requests while one waits or runs (a burst
// of the same notification is one job) and orders work by trigger.
func (a SyncArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{
		Priority: priority(a.Trigger),
		// With the default backoff (5 s doubling, capped at 30 min), 25
		// attempts ride out about eight hours of a dead peer.
		MaxAttempts: 25,
		UniqueOpts: river.UniqueOpts{ByArgs: true, ByState: []rivertype.JobState{
			rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled,
		}},
	}
}

// Fetcher reads one data group of a linked account from a provider
// (Withings now, Fitbit next). bulk marks backfill, which yields the shared
// quota to webhook work.
type Fetcher interface {
	Fetch(ctx context.Context, linkID int64, group string, start, end time.Time, cursor string, bulk bool) ([]health.Batch, string, error)
	Groups() []string
}

// Pipeline is what sync jobs need: the providers, the mapping and the sink.
type Pipeline struct {
	Fetchers map[string]Fetcher
	// Subscribers keep webhook subscriptions, by provider; Callbacks are
	// the callback URLs (secret included) they register.
	Subscribers map[string]Subscriber
	Callbacks   map[string]string
	Mapper      *fhir.Mapper
	Sink        publish.Sink
	Metrics     *metrics.Metrics
	Now         func() time.Time
	// Breakers guard each provider: after a run of failures, syncs fail
	// fast (and retry later) instead of piling onto a provider that is down.
	Breakers map[string]*breaker.Breaker
	// MaxSnooze caps how long a job waits for a spent provider quota
	// before trying again; zero takes the provider's hint as it is.
	MaxSnooze time.Duration
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	db     *store.DB
	p      *Pipeline
	logger *slog.Logger
}

func (w *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	a := job.Args
	start := time.Now()
	var l store.Link
	err := w.db.InTx(ctx, func(tx *store.Tx) (err error) { l, err = tx.LinkByID(ctx, a.LinkID); return err })
	if errors.Is(err, store.ErrNotFound) || err == nil && l.Status != store.LinkActive {
		w.logger.InfoContext(ctx, "sync skipped: link is not active", "link_id", a.LinkID, "group", a.Group)
		return river.JobCancel(health.Errorf(health.KindAuthRevoked, "link %d is not active", a.LinkID))
	}
	if err != nil {
		return err
	}
	res, err := w.run(ctx, l, a)
	w.record(ctx, l, a, res, err)
	w.p.Metrics.SyncDuration.WithLabelValues(l.Provider, a.Group).Observe(time.Since(start).Seconds())
	return outcome(err, w.p.MaxSnooze)
}

// syncResult is what one run did, in counts only.
type syncResult struct {
	fetched, published, rejected int64
	retired                      int64 // marked entered-in-error: deleted at the provider
	cursor                       string
	devicesSeen, devicesEnded    []string // of a devices sync, once published
}

func (w *syncWorker) run(ctx context.Context, l store.Link, a SyncArgs) (syncResult, error) {
	var res syncResult
	f, ok := w.p.Fetchers[l.Provider]
	if !ok {
		return res, health.Errorf(health.KindInvalid, "provider %s is not configured", l.Provider)
	}
	cursor, excluded, err := w.prepare(ctx, l, a)
	if err != nil {
		return res, err
	}
	start, end := a.Start, a.End
	if start.IsZero() && cursor == "" && a.Group != "devices" {
		// No cursor yet: look back far enough to cover a missed week.
		end = w.p.Now()
		start = end.Add(-7 * 24 * time.Hour)
	}
	var batches []health.Batch
	var next string
	fetch := func(ctx context.Context) (err error) {
		batches, next, err = f.Fetch(ctx, l.ID, a.Group, start, end, cursor, a.Trigger == TriggerInitial)
		return err
	}
	if b := w.p.Breakers[l.Provider]; b != nil {
		err = b.Do(ctx, fetch)
	} else {
		err = fetch(ctx)
	}
	if err != nil {
		return res, err
	}
	res.cursor = next
	merged := mergeBatches(batches)
	fetched := slices.Clone(merged.Measurements) // before exclusions: excluded is not deleted
	merged.Measurements = slices.DeleteFunc(merged.Measurements, func(m health.Measurement) bool {
		return slices.Contains(excluded, string(m.Kind))
	})
	res.fetched = int64(len(merged.Measurements) + len(merged.Devices))
	if a.Group == "devices" {
		if err := w.endMissingDevices(ctx, l, &merged); err != nil {
			return res, err
		}
	}
	for _, d := range merged.Devices {
		if d.Ended.IsZero() {
			res.devicesSeen = append(res.devicesSeen, d.ID)
		} else {
			res.devicesEnded = append(res.devicesEnded, d.ID)
		}
	}
	if err := w.publish(ctx, l, merged, &res); err != nil {
		if health.KindOf(err) != health.KindRejected {
			return res, err
		}
		// Rejected records are counted and reported; retrying cannot help.
		w.logger.WarnContext(ctx, "FHIR server rejected records", "link_id", l.ID, "group", a.Group,
			"rejected", res.rejected, "error", err)
	}
	if rc, ok := f.(Reconciler); ok && !a.Start.IsZero() {
		return res, w.retireDeleted(ctx, l, a, rc, fetched, &res)
	}
	return res, nil
}

// Reconciler is implemented by fetchers some of whose groups return every
// record of a window, so that a record published before and now missing was
// deleted at the provider.
type Reconciler interface {
	OwnsIdentifier(group, value string) bool
}

// retireDeleted marks entered-in-error the patient's Observations of the
// window that the group owns but the provider no longer returned. It needs
// modern identifiers; in legacy mode it does nothing.
func (w *syncWorker) retireDeleted(ctx context.Context, l store.Link, a SyncArgs, rc Reconciler, fetched []health.Measurement, res *syncResult) error {
	if w.p.Mapper.Options().Mode != fhir.ModeModern {
		return nil
	}
	subject := "Patient/" + l.EHRUserID
	live, err := w.p.Sink.Identifiers(ctx, publish.Query{Type: "Observation", Subject: subject,
		System: fhir.SystemOHXObservationID, From: a.Start, To: a.End})
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for i := range fetched {
		keep[fhir.ObservationIdentifierValue(&fetched[i], "")] = true
	}
	for _, v := range live {
		if !rc.OwnsIdentifier(a.Group, v) || keep[v] {
			continue
		}
		n, err := w.p.Sink.MarkEnteredInError(ctx, publish.Match{Type: "Observation",
			Identifier: fhir.SystemOHXObservationID + "|" + v, Subject: subject})
		if err != nil {
			return err
		}
		res.retired += int64(n)
	}
	if res.retired > 0 {
		w.logger.InfoContext(ctx, "records deleted at the provider marked entered-in-error", "link_id", l.ID,
			"group", a.Group, "count", res.retired)
		return w.db.InTx(ctx, func(tx *store.Tx) error {
			return tx.AddAudit(ctx, store.AuditEvent{Actor: "provider:" + l.Provider, Action: "observations.entered_in_error",
				PatientID: l.PatientID, LinkID: l.ID, Provider: l.Provider,
				Detail: fmt.Sprintf("%d record(s) deleted at the provider", res.retired)})
		})
	}
	return nil
}

// endMissingDevices adds to a device listing the devices the provider no
// longer lists, marked ended, so the same publication ends their
// associations; the store learns the new listing only once it is published
// (see record).
func (w *syncWorker) endMissingDevices(ctx context.Context, l store.Link, b *health.Batch) error {
	var active []string
	if err := w.db.InTx(ctx, func(tx *store.Tx) (err error) { active, err = tx.ActiveDevices(ctx, l.ID); return err }); err != nil {
		return err
	}
	listed := map[string]bool{}
	for _, d := range b.Devices {
		listed[d.ID] = true
	}
	now := w.p.Now().UTC()
	for _, id := range active {
		if !listed[id] {
			b.Devices = append(b.Devices, health.Device{Provider: health.Provider(l.Provider), ID: id, Ended: now})
		}
	}
	return nil
}

// mergeBatches joins the pages and windows of one sync into one batch, so
// that the whole sync is mapped once and published in
// ceil(resources / bundle size) requests.
func mergeBatches(batches []health.Batch) health.Batch {
	var out health.Batch
	var sources []string
	for _, b := range batches {
		out.Measurements = append(out.Measurements, b.Measurements...)
		out.Devices = append(out.Devices, b.Devices...)
		out.Provider = cmpOrString(out.Provider, b.Provider)
		out.TimeZone = cmpOrString(out.TimeZone, b.TimeZone)
		if b.Source != "" && !slices.Contains(sources, b.Source) {
			sources = append(sources, b.Source)
		}
	}
	out.Source = strings.Join(sources, ",")
	return out
}

func cmpOrString[T ~string](a, b T) T {
	if a != "" {
		return a
	}
	return b
}

// prepare reads the stored cursor and the provider's excluded data types.
func (w *syncWorker) prepare(ctx context.Context, l store.Link, a SyncArgs) (cursor string, excluded []string, err error) {
	err = w.db.InTx(ctx, func(tx *store.Tx) error {
		settings, err := tx.ProviderSettings(ctx, l.Provider)
		if err != nil {
			return err
		}
		excluded = settings.ExcludedDataTypes
		states, err := tx.SyncStates(ctx, l.ID)
		for _, s := range states {
			if s.DataKind == a.Group {
				cursor = s.Cursor
			}
		}
		return err
	})
	return cursor, excluded, err
}

// publish maps one batch and publishes its Bundles one by one as the
// mapping fills them. One unreadable record does not hold the others back:
// it is left out, counted and logged, and the rest is published.
func (w *syncWorker) publish(ctx context.Context, l store.Link, b health.Batch, res *syncResult) error {
	var skipped []error
	in := fhir.Input{Patient: l.EHRUserID, Batch: b, Now: w.p.Now(), Skip: func(err error) { skipped = append(skipped, err) }}
	var rejected error
	err := w.p.Mapper.Stream(in, func(bundle *fhir.Bundle) error {
		r, err := w.p.Sink.Publish(ctx, bundle)
		for _, e := range r.Entries {
			switch e.Outcome {
			case publish.OutcomeCreated, publish.OutcomeUpdated:
				res.published++
			case publish.OutcomeRejected:
				res.rejected++
			}
		}
		if health.KindOf(err) == health.KindRejected {
			rejected, err = err, nil
		}
		return err
	})
	if len(skipped) > 0 {
		res.rejected += int64(len(skipped))
		w.logger.WarnContext(ctx, "skipped records that cannot be mapped", "link_id", l.ID, "count", len(skipped),
			"first_error", skipped[0].Error())
	}
	if err != nil {
		return err
	}
	return rejected
}

// record writes the run's bookkeeping and metrics; it never fails the job.
func (w *syncWorker) record(ctx context.Context, l store.Link, a SyncArgs, res syncResult, runErr error) {
	o := store.SyncOutcome{Fetched: res.fetched, Published: res.published, Rejected: res.rejected, Cursor: res.cursor}
	label := "ok"
	if runErr != nil {
		// The cursor moves only when the fetched records were published:
		// otherwise the next incremental sync would start past them.
		o.Cursor = ""
		o.ErrorClass = string(health.KindOf(runErr))
		label = o.ErrorClass
	} else if res.rejected > 0 {
		o.ErrorClass = string(health.KindRejected)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := w.db.InTx(rctx, func(tx *store.Tx) error {
		if err := tx.RecordSync(rctx, l.ID, a.Group, o); err != nil {
			return err
		}
		if runErr == nil && a.Group == "devices" {
			if err := tx.MarkDevicesSeen(rctx, l.ID, res.devicesSeen); err != nil {
				return err
			}
			if err := tx.EndDevices(rctx, l.ID, res.devicesEnded); err != nil {
				return err
			}
		}
		if a.Trigger == TriggerInitial && runErr == nil {
			return tx.RecordBackfillProgress(rctx, l.ID, a.Group, a.Start)
		}
		return nil
	})
	if err != nil {
		w.logger.ErrorContext(ctx, "cannot record sync state", "link_id", l.ID, "group", a.Group, "error", err)
	}
	m := w.p.Metrics
	m.SyncRuns.WithLabelValues(l.Provider, a.Group, label).Inc()
	m.SyncRecords.WithLabelValues(l.Provider, "fetched").Add(float64(res.fetched))
	m.SyncRecords.WithLabelValues(l.Provider, "published").Add(float64(res.published))
	m.SyncRecords.WithLabelValues(l.Provider, "rejected").Add(float64(res.rejected))
	m.SyncRecords.WithLabelValues(l.Provider, "retired").Add(float64(res.retired))
}
