package jobs

import (
	"context"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/riverqueue/river/rivertype"

	"github.com/ohx-health/ohx/internal/fhir"
	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/metrics"
	"github.com/ohx-health/ohx/internal/publish"
	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), testenv.SQLiteURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestPublishSkipsUnmappableRecords: one record that cannot be mapped is
// counted as rejected, and the others are still published.
func TestPublishSkipsUnmappableRecords(t *testing.T) {
	t.Parallel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := t.TempDir()
	sink, err := publish.NewDirSink(dir, nil, logger)
	if err != nil {
		t.Fatal(err)
	}
	w := &syncWorker{p: &Pipeline{Mapper: fhir.New(fhir.DefaultOptions(fhir.ModeModern)), Sink: sink, Now: time.Now}, logger: logger}
	at := time.Date(2026, 11, 28, 7, 0, 0, 0, time.UTC)
	weight := func(id string, v float64) health.Measurement {
		return health.Measurement{Kind: health.KindBodyWeight, Provider: health.ProviderWithings, RecordID: id, Start: at, Value: v}
	}
	b := health.Batch{Provider: health.ProviderWithings, Source: "getmeas",
		Measurements: []health.Measurement{weight("1:1", 70), weight("2:1", math.NaN()), weight("3:1", 71)}}
	var res syncResult
	if err := w.publish(context.Background(), store.Link{ID: 1, EHRUserID: "p1"}, b, &res); err != nil {
		t.Fatalf("publish: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "Observation", "*.json"))
	if res.rejected != 1 || len(files) != 2 {
		t.Errorf("rejected %d, %d Observations written; want 1 and 2", res.rejected, len(files))
	}
	for _, f := range files {
		if data, _ := os.ReadFile(f); len(data) == 0 {
			t.Errorf("%s is empty", f)
		}
	}
}

// TestDiscardedJobsAreAuditedAndCounted: a job that used its last attempt
// leaves an audit event and a metric; a cancelled one does not.
func TestDiscardedJobsAreAuditedAndCounted(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, metrics.Build{}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h := &errorHandler{logger: slog.New(slog.NewTextHandler(io.Discard, nil)), db: db, discarded: m.JobsDiscarded}
	ctx := context.Background()
	job := &rivertype.JobRow{ID: 7, Kind: "ohx.sync", Attempt: 12, MaxAttempts: 12, EncodedArgs: []byte(`{"link_id":0,"group":"measures"}`)}
	h.HandleError(ctx, job, health.Errorf(health.KindTransient, "provider 503"))
	h.HandleError(ctx, &rivertype.JobRow{ID: 8, Kind: "ohx.sync", Attempt: 2, MaxAttempts: 12}, health.Errorf(health.KindTransient, "x"))
	if got := testutil.ToFloat64(m.JobsDiscarded.WithLabelValues("ohx.sync", "transient")); got != 1 {
		t.Errorf("discarded counter = %v, want 1", got)
	}
	var events []store.AuditEvent
	_ = db.InTx(ctx, func(tx *store.Tx) (err error) { events, err = tx.AuditEvents(ctx, 0, 10); return err })
	if len(events) != 1 || events[0].Action != "job.discarded" {
		t.Errorf("audit = %+v", events)
	}
}

// TestCursorMovesOnlyAfterPublishing: a sync that fetched but failed to
// publish must not advance the cursor, or the next incremental sync would
// skip what it fetched.
func TestCursorMovesOnlyAfterPublishing(t *testing.T) {
	t.Parallel()
	db := openStore(t)
	ctx := context.Background()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := metrics.New(prometheus.NewRegistry(), metrics.Build{}, nil, logger)
	w := &syncWorker{db: db, p: &Pipeline{Metrics: m, Now: time.Now}, logger: logger}
	var l store.Link
	err := db.InTx(ctx, func(tx *store.Tx) error {
		p, err := tx.EnsurePatient(ctx, "ehr-cursor")
		if err != nil {
			return err
		}
		l, err = tx.CreateLink(ctx, p.ID, "withings", "1", "", store.SealedToken{KeyID: "k", Data: []byte{1}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	a := SyncArgs{LinkID: l.ID, Group: "measures", Trigger: TriggerIncremental}
	w.record(ctx, l, a, syncResult{fetched: 3, published: 3, cursor: "100"}, nil)
	w.record(ctx, l, a, syncResult{fetched: 5, cursor: "200"}, health.Errorf(health.KindUnavailable, "FHIR server down"))
	var states []store.SyncState
	_ = db.InTx(ctx, func(tx *store.Tx) (err error) { states, err = tx.SyncStates(ctx, l.ID); return err })
	if len(states) != 1 || states[0].Cursor != "100" || states[0].LastErrorClass != "unavailable" {
		t.Errorf("state after a failed publish = %+v; want cursor 100 kept", states)
	}
}
