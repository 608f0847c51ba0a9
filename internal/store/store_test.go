package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ohx-health/ohx/internal/store"
	"github.com/ohx-health/ohx/internal/testenv"
)

// forEachEngine runs fn on a freshly migrated database of every engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range testenv.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			db := openMigrated(t, e.URL(t))
			fn(t, db)
		})
	}
}

func openMigrated(t *testing.T, url string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestMigrateIsIdempotentAndReportsStatus(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, err := store.Open(ctx, e.URL(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if n, err := db.Pending(ctx); err != nil || n == 0 {
				t.Fatalf("Pending before migrate = %d, %v; want > 0", n, err)
			}
			first, err := db.Migrate(ctx)
			if err != nil || len(first) == 0 {
				t.Fatalf("first Migrate = %v, %v", first, err)
			}
			second, err := db.Migrate(ctx)
			if err != nil || len(second) != 0 {
				t.Fatalf("second Migrate applied %v, %v; want nothing", second, err)
			}
			st, err := db.MigrationStatus(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range st {
				if m.AppliedAt.IsZero() {
					t.Errorf("migration %s not applied", m.Name)
				}
			}
		})
	}
}

func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			url := e.URL(t)
			ctx := context.Background()
			var wg sync.WaitGroup
			errs := make(chan error, 3)
			for range 3 {
				wg.Go(func() {
					db, err := store.Open(ctx, url)
					if err != nil {
						errs <- err
						return
					}
					defer db.Close()
					_, err = db.Migrate(ctx)
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("concurrent migrate: %v", err)
				}
			}
		})
	}
}

func TestLinkLifecycle(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return now })
		tok := store.SealedToken{KeyID: "k1", Data: []byte{1, 2, 3}, ExpiresAt: now.Add(3 * time.Hour)}
		var link store.Link
		err := db.InTx(ctx, func(tx *store.Tx) error {
			p, err := tx.EnsurePatient(ctx, "ehr-001")
			if err != nil {
				return err
			}
			again, err := tx.EnsurePatient(ctx, "ehr-001")
			if err != nil || again.ID != p.ID {
				t.Errorf("EnsurePatient twice: ids %d and %d, %v", p.ID, again.ID, err)
			}
			link, err = tx.CreateLink(ctx, p.ID, "withings", "12345", "user.metrics", tok)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		want := store.Link{ID: link.ID, PatientID: link.PatientID, EHRUserID: "ehr-001", Provider: "withings",
			ExternalUserID: "12345", Token: tok, TokenVersion: 1, Scopes: "user.metrics", Status: store.LinkActive, LinkedAt: now}
		if diff := cmp.Diff(want, link); diff != "" {
			t.Errorf("created link (-want +got):\n%s", diff)
		}

		// A second live link of the same provider account is refused.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			p, err := tx.EnsurePatient(ctx, "ehr-002")
			if err != nil {
				return err
			}
			_, err = tx.CreateLink(ctx, p.ID, "withings", "12345", "", tok)
			return err
		})
		if err == nil {
			t.Error("second live link of one provider account was accepted")
		}

		// Compare-and-swap on the token version.
		newTok := store.SealedToken{KeyID: "k1", Data: []byte{9}, ExpiresAt: now.Add(6 * time.Hour)}
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.ReplaceToken(ctx, link.ID, 1, newTok, "user.metrics") })
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.ReplaceToken(ctx, link.ID, 1, tok, "") })
		if !errors.Is(err, store.ErrStaleToken) {
			t.Errorf("ReplaceToken with stale version: %v, want ErrStaleToken", err)
		}

		// Revoking crypto-shreds the token and keeps the row as history.
		var got store.Link
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.SetLinkStatus(ctx, link.ID, store.LinkRevoked); err != nil {
				return err
			}
			got, err = tx.LinkByID(ctx, link.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != store.LinkRevoked || got.Token.Data != nil || got.Token.KeyID != "" || !got.UnlinkedAt.Equal(now) {
			t.Errorf("revoked link = %+v; want status revoked, no token, unlinked_at now", got)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.LiveLinkByExternalUser(ctx, "withings", "12345")
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("LiveLinkByExternalUser after revoke: %v, want ErrNotFound", err)
		}
		// After revocation the account can be linked again.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.CreateLink(ctx, link.PatientID, "withings", "12345", "", tok)
			return err
		})
		if err != nil {
			t.Errorf("relink after revoke: %v", err)
		}
	})
}

func TestAuditAndPrune(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		for i := range 5 {
			db.SetClock(func() time.Time { return base.Add(time.Duration(i) * 24 * time.Hour) })
			err := db.InTx(ctx, func(tx *store.Tx) error {
				return tx.AddAudit(ctx, store.AuditEvent{Actor: "system", Action: "test.event", Provider: "withings", Detail: "n"})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		var pruned int64
		var left []store.AuditEvent
		err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			if pruned, err = tx.PruneAudit(ctx, base.Add(2*24*time.Hour)); err != nil {
				return err
			}
			left, err = tx.AuditEvents(ctx, 0, 100)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if pruned != 2 || len(left) != 3 {
			t.Fatalf("pruned %d, left %d; want 2 and 3", pruned, len(left))
		}
		if !left[0].At.Equal(base.Add(4 * 24 * time.Hour)) {
			t.Errorf("newest event at %v", left[0].At)
		}
	})
}

func TestProviderSettingsAndSyncState(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		want := store.ProviderSettings{Provider: "withings", Enabled: false, ExcludedDataTypes: []string{"sleep"},
			SuccessURL: "app://ok", ErrorURL: "app://err", AllowedRedirectURLs: []string{"app://"}}
		var got, def store.ProviderSettings
		var states []store.SyncState
		err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			if def, err = tx.ProviderSettings(ctx, "fitbit"); err != nil {
				return err
			}
			if err = tx.PutProviderSettings(ctx, want); err != nil {
				return err
			}
			if got, err = tx.ProviderSettings(ctx, "withings"); err != nil {
				return err
			}
			p, err := tx.EnsurePatient(ctx, "ehr-9")
			if err != nil {
				return err
			}
			l, err := tx.CreateLink(ctx, p.ID, "withings", "77", "", store.SealedToken{KeyID: "k", Data: []byte{1}})
			if err != nil {
				return err
			}
			for _, o := range []store.SyncOutcome{
				{Fetched: 10, Published: 9, Rejected: 1, Cursor: "100"},
				{ErrorClass: "transient"},
				{Fetched: 2, Published: 2},
			} {
				if err := tx.RecordSync(ctx, l.ID, "weight", o); err != nil {
					return err
				}
			}
			states, err = tx.SyncStates(ctx, l.ID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if !def.Enabled || len(def.ExcludedDataTypes) != 0 {
			t.Errorf("default settings = %+v", def)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("settings round trip (-want +got):\n%s", diff)
		}
		wantState := store.SyncState{DataKind: "weight", Cursor: "100", Fetched: 12, Published: 11, Rejected: 1, LastErrorClass: "transient"}
		if len(states) != 1 {
			t.Fatalf("states = %+v", states)
		}
		if diff := cmp.Diff(wantState, states[0], cmpopts.IgnoreFields(store.SyncState{}, "LinkID",
			"LastAttemptAt", "LastSuccessAt", "LastErrorAt")); diff != "" {
			t.Errorf("sync state (-want +got):\n%s", diff)
		}
		if states[0].LastSuccessAt.IsZero() || states[0].LastErrorAt.IsZero() {
			t.Errorf("success/error times not recorded: %+v", states[0])
		}
	})
}

func TestTakeTokenSharesQuotaAcrossConnections(t *testing.T) {
	t.Parallel()
	for _, e := range testenv.Engines() {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			url := e.URL(t)
			first := openMigrated(t, url)
			ctx := context.Background()
			now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
			clock := func() time.Time { return now }
			// Three handles stand for three replicas.
			dbs := []*store.DB{first}
			for range 2 {
				db, err := store.Open(ctx, url)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				dbs = append(dbs, db)
			}
			b := store.Bucket{Name: "withings", Capacity: 120, PerSec: 2}
			var mu sync.Mutex
			granted := 0
			var wg sync.WaitGroup
			for _, db := range dbs {
				db.SetClock(clock)
				wg.Go(func() {
					for range 60 {
						wait, err := db.TakeToken(ctx, b)
						if err != nil {
							t.Error(err)
							return
						}
						if wait == 0 {
							mu.Lock()
							granted++
							mu.Unlock()
						}
					}
				})
			}
			wg.Wait()
			if granted != 120 {
				t.Fatalf("granted %d tokens from a bucket of 120 at a frozen clock", granted)
			}
			wait, err := first.TakeToken(ctx, b)
			if err != nil || wait != 500*time.Millisecond {
				t.Errorf("empty bucket: wait %v, %v; want 500ms", wait, err)
			}
		})
	}
}

func TestTakeTokenReserveLeavesRoomForPriorityCallers(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return now })
		low := store.Bucket{Name: "q", Capacity: 10, PerSec: 1, Reserve: 4}
		high := store.Bucket{Name: "q", Capacity: 10, PerSec: 1}
		count := func(b store.Bucket) int {
			n := 0
			for range 20 {
				wait, err := db.TakeToken(ctx, b)
				if err != nil {
					t.Fatal(err)
				}
				if wait == 0 {
					n++
				}
			}
			return n
		}
		if got := count(low); got != 6 {
			t.Errorf("low priority took %d tokens, want 6", got)
		}
		if got := count(high); got != 4 {
			t.Errorf("high priority took %d tokens, want the 4 reserved", got)
		}
		if wait, _ := db.TakeToken(ctx, low); wait != 5*time.Second {
			t.Errorf("low priority wait on empty bucket = %v, want 5s (refill to reserve+1)", wait)
		}
	})
}

func TestRefreshLease(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
		db.SetClock(func() time.Time { return now })
		var id int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			p, err := tx.EnsurePatient(ctx, "ehr-lease")
			if err != nil {
				return err
			}
			l, err := tx.CreateLink(ctx, p.ID, "withings", "55", "", store.SealedToken{KeyID: "k", Data: []byte{1}})
			id = l.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		acquire := func(owner string) bool {
			var ok bool
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				ok, err = tx.AcquireRefreshLease(ctx, id, owner, now.Add(30*time.Second))
				return err
			}); err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !acquire("a") || acquire("b") {
			t.Fatal("lease not exclusive")
		}
		if !acquire("a") {
			t.Error("holder cannot renew its own lease")
		}
		now = now.Add(31 * time.Second) // a's lease expires: a crashed holder frees the link
		if !acquire("b") {
			t.Fatal("expired lease not taken over")
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ReleaseRefreshLease(ctx, id, "a") }); err != nil {
			t.Fatal(err)
		}
		if acquire("c") {
			t.Error("a released b's lease")
		}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.ReleaseRefreshLease(ctx, id, "b") }); err != nil {
			t.Fatal(err)
		}
		if !acquire("c") {
			t.Error("released lease not available")
		}
	})
}

func TestLinkDevices(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			p, err := tx.EnsurePatient(ctx, "ehr-dev")
			if err != nil {
				return err
			}
			l, err := tx.CreateLink(ctx, p.ID, "withings", "9", "", store.SealedToken{KeyID: "k", Data: []byte{1}})
			if err != nil {
				return err
			}
			if err := tx.MarkDevicesSeen(ctx, l.ID, []string{"a", "b", "c"}); err != nil {
				return err
			}
			if err := tx.EndDevices(ctx, l.ID, []string{"b"}); err != nil {
				return err
			}
			got, err := tx.ActiveDevices(ctx, l.ID)
			if err != nil {
				return err
			}
			if diff := cmp.Diff([]string{"a", "c"}, got); diff != "" {
				t.Errorf("after ending b (-want +got):\n%s", diff)
			}
			if err := tx.MarkDevicesSeen(ctx, l.ID, []string{"b"}); err != nil {
				return err
			}
			got, err = tx.ActiveDevices(ctx, l.ID)
			if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
				t.Errorf("after b came back (-want +got):\n%s", diff)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
