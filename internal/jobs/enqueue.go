package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/ohx-health/ohx/internal/store"
)

// backfillChunk is the window of one initial-sync job per data group:
// small for groups with intraday series, so a job stays short and a restart
// loses little; groups not listed take one day.
var backfillChunk = map[string]time.Duration{
	"measures": 10 * 24 * time.Hour,
	"ecg":      10 * 24 * time.Hour,
	"activity": 24 * time.Hour,
	"sleep":    24 * time.Hour,
}

// EnqueueInitial queues what a new link needs, in tx: its webhook
// subscriptions, one device sync, and the backfill of every group in chunks
// covering the last days days, newest first. Chunks are separate jobs, so a
// backfill resumes where it stopped.
func EnqueueInitial(ctx context.Context, q *Client, tx *store.Tx, linkID int64, groups []string, now time.Time, days int) error {
	from := now.Add(-time.Duration(days) * 24 * time.Hour)
	params := []river.InsertManyParams{{Args: SubscribeArgs{LinkID: linkID}}}
	for _, g := range groups {
		if g == "devices" {
			params = append(params, river.InsertManyParams{Args: SyncArgs{LinkID: linkID, Group: g, Trigger: TriggerInitial}})
			continue
		}
		if days == 0 {
			continue
		}
		if err := tx.StartBackfill(ctx, linkID, g, from); err != nil {
			return err
		}
		chunk := backfillChunk[g]
		if chunk == 0 {
			chunk = 24 * time.Hour
		}
		for end := now; end.After(from); end = end.Add(-chunk) {
			start := end.Add(-chunk)
			if start.Before(from) {
				start = from
			}
			params = append(params, river.InsertManyParams{Args: SyncArgs{LinkID: linkID, Group: g,
				Start: start.UTC().Truncate(time.Second), End: end.UTC().Truncate(time.Second), Trigger: TriggerInitial}})
		}
	}
	if _, err := q.InsertManyTx(ctx, tx.SQLTx(), params); err != nil {
		return fmt.Errorf("enqueue backfill: %w", err)
	}
	return nil
}

// EnqueueSync queues one sync per group for a link in tx and returns the
// job ids (an identical waiting job is reused, not duplicated).
func EnqueueSync(ctx context.Context, q *Client, tx *store.Tx, linkID int64, groups []string, start, end time.Time, trigger string) ([]int64, error) {
	ids := make([]int64, 0, len(groups))
	for _, g := range groups {
		args := SyncArgs{LinkID: linkID, Group: g, Start: start.UTC().Truncate(time.Second), End: end.UTC().Truncate(time.Second), Trigger: trigger}
		if start.IsZero() {
			args.Start, args.End = time.Time{}, time.Time{}
		}
		res, err := q.InsertTx(ctx, tx.SQLTx(), args, nil)
		if err != nil {
			return nil, fmt.Errorf("enqueue sync: %w", err)
		}
		ids = append(ids, res.Job.ID)
	}
	return ids, nil
}

// SyncAllArgs asks for the periodic safety-net sync of every active link.
type SyncAllArgs struct{}

// Kind is the stable job kind.
func (SyncAllArgs) Kind() string { return "ohx.sync_all" }

type syncAllWorker struct {
	river.WorkerDefaults[SyncAllArgs]
	db       *store.DB
	p        *Pipeline
	interval time.Duration
	logger   *slog.Logger
}

// Work queues an incremental sync of every group of every active link:
// measures from their cursor, the rest over the last interval (plus an
// hour of overlap, since publishing is idempotent).
func (w *syncAllWorker) Work(ctx context.Context, job *river.Job[SyncAllArgs]) error {
	now := w.p.Now().UTC().Truncate(time.Second)
	start := now.Add(-w.interval - time.Hour)
	var after int64
	queued := 0
	for {
		var links []store.Link
		err := w.db.InTx(ctx, func(tx *store.Tx) (err error) {
			if links, err = tx.ActiveLinks(ctx, after, 200); err != nil {
				return err
			}
			for _, l := range links {
				f, ok := w.p.Fetchers[l.Provider]
				if !ok {
					continue
				}
				for _, g := range f.Groups() {
					s, e := start, now
					if g == "measures" || g == "devices" {
						s, e = time.Time{}, time.Time{} // cursor-driven, or windowless
					}
					if _, err := EnqueueSync(ctx, river.ClientFromContext[*sql.Tx](ctx), tx, l.ID, []string{g}, s, e, TriggerIncremental); err != nil {
						return err
					}
					queued++
				}
				// Reconcile subscriptions too (e.g. after a public URL change).
				if _, err := river.ClientFromContext[*sql.Tx](ctx).InsertTx(ctx, tx.SQLTx(), SubscribeArgs{LinkID: l.ID}, nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(links) < 200 {
			break
		}
		after = links[len(links)-1].ID
	}
	w.logger.InfoContext(ctx, "queued incremental syncs", "jobs", queued)
	return nil
}
