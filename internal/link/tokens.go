package link

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/store"
)

// expiryLeeway refreshes an access token this long before it expires.
const expiryLeeway = 2 * time.Minute

// Tokens is the token source of one link, shared safely by every worker
// of every replica: a refresh happens under a lease in the database, the new
// pair is stored before it is used, and a worker that finds another one
// refreshing waits for its result instead of refreshing twice.
type Tokens struct {
	s      *Service
	linkID int64
}

// Tokens returns the token source of a link.
func (s *Service) Tokens(linkID int64) *Tokens { return &Tokens{s: s, linkID: linkID} }

func (t *Tokens) load(ctx context.Context) (store.Link, tokenSet, error) {
	var l store.Link
	err := t.s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		l, err = tx.LinkByID(ctx, t.linkID)
		return err
	})
	if err != nil {
		return store.Link{}, tokenSet{}, err
	}
	if l.Status != store.LinkActive {
		return l, tokenSet{}, health.Errorf(health.KindAuthRevoked, "link %d is %s", l.ID, l.Status)
	}
	ts, err := t.s.openToken(l)
	return l, ts, err
}

// AccessToken returns a valid access token, refreshing first when the
// stored one is about to expire.
func (t *Tokens) AccessToken(ctx context.Context) (string, error) {
	_, ts, err := t.load(ctx)
	if err != nil {
		return "", err
	}
	if !ts.Expiry.IsZero() && !t.s.now().Add(expiryLeeway).Before(ts.Expiry) {
		return t.RefreshAccessToken(ctx, ts.AccessToken)
	}
	return ts.AccessToken, nil
}

// RefreshAccessToken replaces the rejected access token, unless another
// worker already has: then it returns that worker's token.
func (t *Tokens) RefreshAccessToken(ctx context.Context, rejected string) (string, error) {
	deadline := t.s.now().Add(2 * t.s.LeaseTTL)
	owner := t.s.owner + "/" + randomHex(6) // per call: two goroutines of one process are two holders
	for {
		_, ts, err := t.load(ctx)
		if err != nil {
			return "", err
		}
		if ts.AccessToken != rejected {
			return ts.AccessToken, nil // refreshed by someone else meanwhile
		}
		var got bool
		err = t.s.db.InTx(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.AcquireRefreshLease(ctx, t.linkID, owner, tx.Now().Add(t.s.LeaseTTL))
			return err
		})
		if err != nil {
			return "", err
		}
		if got {
			return t.refreshHoldingLease(ctx, rejected, owner)
		}
		if t.s.now().After(deadline) {
			return "", health.Errorf(health.KindTransient, "link %d: another worker's token refresh did not finish", t.linkID)
		}
		select {
		case <-ctx.Done():
			return "", ctx.Err()
		case <-time.After(t.s.PollEvery):
		}
	}
}

// refreshHoldingLease performs the refresh once this process holds the
// link's lease, and always gives the lease back.
func (t *Tokens) refreshHoldingLease(ctx context.Context, rejected, owner string) (string, error) {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = t.s.db.InTx(rctx, func(tx *store.Tx) error { return tx.ReleaseRefreshLease(rctx, t.linkID, owner) })
	}()
	l, ts, err := t.load(ctx) // re-read under the lease: the last holder may just have finished
	if err != nil {
		return "", err
	}
	if ts.AccessToken != rejected {
		return ts.AccessToken, nil
	}
	p, err := t.s.provider(l.Provider)
	if err != nil {
		return "", err
	}
	grant, err := p.Refresh(ctx, ts.RefreshToken)
	if isKind(err, health.KindAuthRevoked) {
		return "", t.markNeedsReauth(ctx, l, err)
	}
	if err != nil {
		return "", err
	}
	grant.ExternalUserID = l.ExternalUserID
	if grant.RefreshToken == "" {
		grant.RefreshToken = ts.RefreshToken // providers with long-lived refresh tokens may not resend it
	}
	sealed, err := t.s.sealGrant(l.Provider, grant)
	if err != nil {
		return "", err
	}
	scopes := l.Scopes
	if len(grant.Scopes) > 0 {
		scopes = strings.Join(grant.Scopes, ",")
	}
	err = t.s.db.InTx(ctx, func(tx *store.Tx) error { return tx.ReplaceToken(ctx, l.ID, l.TokenVersion, sealed, scopes) })
	if errors.Is(err, store.ErrStaleToken) {
		// Cannot happen while we hold the lease unless it expired under us.
		return "", health.Wrap(health.KindTransient, err, fmt.Sprintf("link %d: token changed during refresh", l.ID))
	}
	if err != nil {
		return "", err
	}
	return grant.AccessToken, nil
}

// markNeedsReauth records that the provider refused the link's refresh
// token: the link stops syncing until the patient links again.
func (t *Tokens) markNeedsReauth(ctx context.Context, l store.Link, cause error) error {
	err := t.s.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.SetLinkStatus(ctx, l.ID, store.LinkNeedsReauth); err != nil {
			return err
		}
		return tx.AddAudit(ctx, store.AuditEvent{Actor: "provider:" + l.Provider, Action: "token.refresh_refused",
			PatientID: l.PatientID, LinkID: l.ID, Provider: l.Provider, Detail: "refresh token refused; link needs re-authorisation"})
	})
	if err != nil {
		return errors.Join(cause, err)
	}
	t.s.logger.WarnContext(ctx, "link needs re-authorisation", "link_id", l.ID, "provider", l.Provider)
	return health.Wrap(health.KindAuthRevoked, cause, fmt.Sprintf("link %d needs re-authorisation", l.ID))
}
