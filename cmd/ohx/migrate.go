package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/ohx-health/ohx/internal/jobs"
)

func runMigrate(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "migrate", "migrate up|status\n\n  up      apply every pending migration (ohx's and the job queue's)\n  status  list migrations and whether each is applied")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (fs.Arg(0) != "up" && fs.Arg(0) != "status") {
		fs.Usage()
		return usageError{errors.New("want exactly one of: up, status")}
	}
	cfg, logger, err := loadConfig(e)
	if err != nil {
		return err
	}
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if fs.Arg(0) == "up" {
		applied, err := jobs.Migrate(ctx, db, logger)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "applied %d migration(s) %v\n", len(applied), applied)
		return nil
	}
	st, err := db.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range st {
		state := "pending"
		if !m.AppliedAt.IsZero() {
			state = "applied " + m.AppliedAt.Format("2006-01-02T15:04:05Z")
		}
		fmt.Fprintf(e.stdout, "%04d %-30s %s\n", m.Version, m.Name, state)
	}
	qv, err := jobs.QueueVersion(ctx, db, logger)
	if err != nil {
		fmt.Fprintf(e.stdout, "job queue: not migrated\n")
		return nil
	}
	fmt.Fprintf(e.stdout, "job queue: River schema version %d\n", qv)
	return nil
}
