package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/riverqueue/river"

	"github.com/ohx-health/ohx/internal/store"
)

// PruneAuditArgs asks for audit events older than the retention period to
// be deleted.
type PruneAuditArgs struct{}

// Kind is the stable job kind.
func (PruneAuditArgs) Kind() string { return "ohx.prune_audit" }

type pruneAuditWorker struct {
	river.WorkerDefaults[PruneAuditArgs]
	db        *store.DB
	retention time.Duration
	logger    *slog.Logger
}

func (w *pruneAuditWorker) Work(ctx context.Context, job *river.Job[PruneAuditArgs]) error {
	var n int64
	err := w.db.InTx(ctx, func(tx *store.Tx) (err error) {
		n, err = tx.PruneAudit(ctx, time.Now().Add(-w.retention))
		return err
	})
	if err != nil {
		return outcome(err, 0)
	}
	w.logger.InfoContext(ctx, "pruned audit events", "deleted", n, "retention", w.retention.String())
	return nil
}
