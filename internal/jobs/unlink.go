package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/riverqueue/river"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/store"
)

// UnlinkArgs asks for a link to be taken down: subscriptions revoked at
// the provider, tokens crypto-shredded, device associations ended in FHIR.
// Published observations stay: they are the patient's history.
type UnlinkArgs struct {
	LinkID int64 `json:"link_id"`
	// By says who asked: "patient" (the API), "operator", or
	// "provider:{name}" (the user unlinked at the provider, which already
	// revoked everything there).
	By string `json:"by"`
}

// Kind is the stable job kind.
func (UnlinkArgs) Kind() string { return "ohx.unlink" }

// InsertOpts makes repeated requests for one link one job.
func (UnlinkArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: 1, MaxAttempts: 15, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EnqueueUnlink queues the unlinking of a link in tx.
func EnqueueUnlink(ctx context.Context, q *Client, tx *store.Tx, linkID int64, by string) error {
	if _, err := q.InsertTx(ctx, tx.SQLTx(), UnlinkArgs{LinkID: linkID, By: by}, nil); err != nil {
		return fmt.Errorf("enqueue unlink: %w", err)
	}
	return nil
}

type unlinkWorker struct {
	river.WorkerDefaults[UnlinkArgs]
	db     *store.DB
	p      *Pipeline
	logger *slog.Logger
}

func (w *unlinkWorker) Work(ctx context.Context, job *river.Job[UnlinkArgs]) error {
	var l store.Link
	if err := w.db.InTx(ctx, func(tx *store.Tx) (err error) { l, err = tx.LinkByID(ctx, job.Args.LinkID); return err }); err != nil {
		return outcome(err, w.p.MaxSnooze)
	}
	if l.Status != store.LinkRevoked {
		if err := w.revoke(ctx, l, job.Args.By); err != nil {
			return outcome(err, w.p.MaxSnooze)
		}
	}
	if err := w.revokeAccess(ctx, l, job.Args.By); err != nil {
		return outcome(err, w.p.MaxSnooze)
	}
	if err := w.endAssociations(ctx, l); err != nil {
		return outcome(err, w.p.MaxSnooze)
	}
	w.logger.InfoContext(ctx, "link taken down", "link_id", l.ID, "provider", l.Provider, "by", job.Args.By)
	return nil
}

// revoke removes the provider's subscriptions while the tokens still
// work, then shreds the tokens. A provider that already refuses the
// tokens has nothing left to revoke.
func (w *unlinkWorker) revoke(ctx context.Context, l store.Link, by string) error {
	if s, ok := w.p.Subscribers[l.Provider]; ok && l.Status == store.LinkActive {
		err := s.Unsubscribe(ctx, l.ID)
		switch health.KindOf(err) {
		case "", health.KindAuthRevoked, health.KindUnauthorized, health.KindForbidden:
		default:
			return err
		}
	}
	return w.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetLinkStatus(ctx, l.ID, store.LinkRevoked); err != nil {
			return err
		}
		if err := tx.DeleteSubscriptions(ctx, l.ID); err != nil {
			return err
		}
		return tx.AddAudit(ctx, store.AuditEvent{Actor: by, Action: "link.unlinked", PatientID: l.PatientID,
			LinkID: l.ID, Provider: l.Provider, Detail: "subscriptions revoked, tokens shredded"})
	})
}

// AccessRevoker is implemented by subscribers whose provider can end ohx's
// access to a user without the user's tokens (Withings: a signed OAuth2
// revoke), so that an unlink leaves the provider no grant to ohx either.
type AccessRevoker interface {
	RevokeAccess(ctx context.Context, externalUserID string) error
}

// revokeAccess asks the provider to end ohx's grant, after the tokens are
// shredded, so that a provider that is down delays only this step: the job
// retries it, and the link is already unusable. A user who unlinked at the
// provider has no grant left to end.
func (w *unlinkWorker) revokeAccess(ctx context.Context, l store.Link, by string) error {
	r, ok := w.p.Subscribers[l.Provider].(AccessRevoker)
	if !ok || strings.HasPrefix(by, "provider") || l.ExternalUserID == "" {
		return nil
	}
	err := r.RevokeAccess(ctx, l.ExternalUserID)
	switch health.KindOf(err) {
	case "":
	case health.KindTransient, health.KindUnavailable, health.KindRateLimited:
		return err
	default:
		// The provider refused for good (e.g. the grant is already gone):
		// nothing to retry; say so in the audit trail.
		w.logger.WarnContext(ctx, "provider did not revoke access", "link_id", l.ID, "provider", l.Provider,
			"error_kind", string(health.KindOf(err)))
		return w.db.InTx(ctx, func(tx *store.Tx) error {
			return tx.AddAudit(ctx, store.AuditEvent{Actor: by, Action: "link.provider_revoke_refused", PatientID: l.PatientID,
				LinkID: l.ID, Provider: l.Provider, Detail: "provider answered " + string(health.KindOf(err))})
		})
	}
	return w.db.InTx(ctx, func(tx *store.Tx) error {
		return tx.AddAudit(ctx, store.AuditEvent{Actor: by, Action: "link.provider_access_revoked", PatientID: l.PatientID,
			LinkID: l.ID, Provider: l.Provider, Detail: "access revoked at the provider"})
	})
}

// endAssociations publishes the end of every device association of the
// link, then records it.
func (w *unlinkWorker) endAssociations(ctx context.Context, l store.Link) error {
	var active []string
	if err := w.db.InTx(ctx, func(tx *store.Tx) (err error) { active, err = tx.ActiveDevices(ctx, l.ID); return err }); err != nil {
		return err
	}
	if len(active) == 0 {
		return nil
	}
	now := w.p.Now().UTC()
	b := health.Batch{Provider: health.Provider(l.Provider), Source: "unlink"}
	for _, id := range active {
		b.Devices = append(b.Devices, health.Device{Provider: health.Provider(l.Provider), ID: id, Ended: now})
	}
	sw := &syncWorker{db: w.db, p: w.p, logger: w.logger}
	var res syncResult
	if err := sw.publish(ctx, l, b, &res); err != nil {
		return err
	}
	return w.db.InTx(ctx, func(tx *store.Tx) error { return tx.EndDevices(ctx, l.ID, active) })
}
