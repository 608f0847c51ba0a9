package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/ohx-health/ohx/internal/jobs"
	"github.com/ohx-health/ohx/internal/store"
)

// runUnlink queues the take-down of one link on an operator's behalf (a
// patient who asked the clinic to disconnect their wearable): subscriptions
// removed, tokens shredded, access revoked at the provider, device
// associations ended. A running worker carries it out.
func runUnlink(ctx context.Context, e env, args []string) error {
	fs := newFlagSet(e, "unlink", "unlink LINK_ID\n\nQueues the take-down of a link: provider subscriptions removed, tokens shredded, ohx's\naccess revoked at the provider, device associations ended in FHIR. Observations stay.")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if fs.NArg() != 1 || err != nil || id <= 0 {
		return usageError{errors.New("usage: ohx unlink LINK_ID")}
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
	q, err := jobs.NewClient(db, jobs.Config{Logger: logger, Pipeline: &jobs.Pipeline{}})
	if err != nil {
		return err
	}
	var l store.Link
	err = db.InTx(ctx, func(tx *store.Tx) (err error) {
		if l, err = tx.LinkByID(ctx, id); err != nil || l.Status == store.LinkRevoked {
			return err
		}
		if err := tx.AddAudit(ctx, store.AuditEvent{Actor: "operator", Action: "link.unlink_requested",
			PatientID: l.PatientID, LinkID: l.ID, Provider: l.Provider, Detail: "ohx unlink"}); err != nil {
			return err
		}
		return jobs.EnqueueUnlink(ctx, q, tx, l.ID, "operator")
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("unlink: no link %d", id)
	case err != nil:
		return err
	case l.Status == store.LinkRevoked:
		fmt.Fprintf(e.stdout, "link %d (%s) is already unlinked\n", l.ID, l.Provider)
	default:
		fmt.Fprintf(e.stdout, "unlink of link %d (%s) queued; a worker carries it out\n", l.ID, l.Provider)
	}
	return nil
}
