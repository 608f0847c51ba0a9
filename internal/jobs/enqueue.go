package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/ohx-health/ohx/internal/store"
)

// backfillChunk is the window of one initial-sync job of a data group:
// small for groups with intraday series, so a job stays short and a restart
// loses little; other groups take one day.
func backfillChunk(group string) time.Duration {
	switch group {
	case "measures", "ecg":
		return 10 * 24 * time.Hour
	}
	return 24 * time.Hour
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
		chunk := backfillChunk(g)
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
// job ids. An identical waiting job is reused, not duplicated; a webhook
// sync also absorbs the waiting webhook syncs of the same link and group
// whose windows overlap its own (see mergeWaiting).
func EnqueueSync(ctx context.Context, q *Client, tx *store.Tx, linkID int64, groups []string, start, end time.Time, trigger string) ([]int64, error) {
	ids := make([]int64, 0, len(groups))
	for _, g := range groups {
		args := SyncArgs{LinkID: linkID, Group: g, Start: start.UTC().Truncate(time.Second), End: end.UTC().Truncate(time.Second), Trigger: trigger}
		if start.IsZero() {
			args.Start, args.End = time.Time{}, time.Time{}
		}
		opts := args.InsertOpts()
		if trigger == TriggerWebhook && !args.Start.IsZero() {
			var err error
			if args, err = mergeWaiting(ctx, q, tx, args); err != nil {
				return nil, err
			}
			opts.Tags = waitTags(args)
		}
		res, err := q.InsertTx(ctx, tx.SQLTx(), args, &opts)
		if err != nil {
			return nil, fmt.Errorf("enqueue sync: %w", err)
		}
		ids = append(ids, res.Job.ID)
	}
	return ids, nil
}

// waitTags label a webhook sync with its link and group, so the next
// notification can find it.
func waitTags(a SyncArgs) []string {
	return []string{fmt.Sprintf("link-%d", a.LinkID), "group-" + a.Group}
}

// mergeWaiting deletes the webhook syncs of a's link and group that are
// still waiting (never a running one: it may have fetched already) and
// whose windows overlap or touch a's, and returns a widened to cover them.
// A burst of notifications about nearby measurements becomes one fetch.
func mergeWaiting(ctx context.Context, q *Client, tx *store.Tx, a SyncArgs) (SyncArgs, error) {
	params := river.NewJobListParams().Kinds(a.Kind()).Priorities(int16(priority(TriggerWebhook))).
		States(rivertype.JobStateAvailable, rivertype.JobStateScheduled).TagsAll(waitTags(a)...).First(100)
	res, err := q.JobListTx(ctx, tx.SQLTx(), params)
	if err != nil {
		return a, fmt.Errorf("list waiting syncs: %w", err)
	}
	for _, j := range res.Jobs {
		var w SyncArgs
		if json.Unmarshal(j.EncodedArgs, &w) != nil || w.LinkID != a.LinkID || w.Group != a.Group || w.Start.IsZero() {
			continue
		}
		if w.Start.After(a.End) || w.End.Before(a.Start) {
			continue // disjoint
		}
		if _, err := q.JobDeleteTx(ctx, tx.SQLTx(), j.ID); err != nil {
			continue // picked up meanwhile: it runs with its own window, which is fine
		}
		a.Start, a.End = minTime(a.Start, w.Start), maxTime(a.End, w.End)
	}
	return a, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
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
