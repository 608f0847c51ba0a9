package link

import (
	"cmp"
	"context"
	"errors"
	"strings"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/store"
)

// Redirects are where a linking flow sends the patient's browser at its
// end: an app's deep link or a web page. Empty ones take the provider's
// configured defaults.
type Redirects struct {
	Success, Error string
}

// Begin starts linking ehrUserID to provider and returns the URL to send
// the patient's browser to. Redirects not configured as the provider's
// defaults must start with one of its allowed prefixes, so a flow can never
// be turned into an open redirect.
func (s *Service) Begin(ctx context.Context, ehrUserID, provider string, to Redirects) (string, error) {
	p, err := s.provider(provider)
	if err != nil {
		return "", err
	}
	state, err := newState()
	if err != nil {
		return "", err
	}
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		settings, err := tx.ProviderSettings(ctx, provider)
		if err != nil {
			return err
		}
		if !settings.Enabled {
			return health.Errorf(health.KindForbidden, "provider %s is disabled", provider)
		}
		for _, u := range []*string{&to.Success, &to.Error} {
			if !redirectAllowed(*u, settings.AllowedRedirectURLs) {
				return health.Errorf(health.KindInvalid, "redirect URL is not allowed for %s", provider)
			}
		}
		to.Success = cmp.Or(to.Success, settings.SuccessURL)
		to.Error = cmp.Or(to.Error, settings.ErrorURL)
		patient, err := tx.EnsurePatient(ctx, ehrUserID)
		if err != nil {
			return err
		}
		return tx.PutOAuthState(ctx, store.OAuthState{StateHash: hashState(state), PatientID: patient.ID,
			Provider: provider, RedirectURL: to.Success, ErrorURL: to.Error, ExpiresAt: tx.Now().Add(s.StateTTL)})
	})
	if err != nil {
		return "", err
	}
	return p.AuthCodeURL(state), nil
}

// Completed is the result of a finished link flow, successful or not.
type Completed struct {
	Link      store.Link
	EHRUserID string    // the patient, once the state is known
	To        Redirects // where the flow's starter asked the patient to land
}

// Complete finishes a flow with the provider's callback: it spends the
// state (once), exchanges the code, and stores the new link with its sealed
// tokens. A live link of the same patient to the same provider is replaced;
// a provider account already linked to another patient is refused.
func (s *Service) Complete(ctx context.Context, provider, state, code string) (Completed, error) {
	p, err := s.provider(provider)
	if err != nil {
		return Completed{}, err
	}
	if code == "" {
		return Completed{}, health.Errorf(health.KindInvalid, "callback lacks state or code")
	}
	st, done, err := s.takeState(ctx, provider, state)
	if err != nil {
		return done, err
	}
	grant, err := p.Exchange(ctx, code)
	if err != nil {
		return done, err
	}
	sealed, err := s.sealGrant(provider, grant)
	if err != nil {
		return Completed{}, err
	}
	var created store.Link
	err = s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		created, err = s.storeLink(ctx, tx, st, grant, sealed)
		return err
	})
	if err != nil {
		return done, err
	}
	s.logger.InfoContext(ctx, "account linked", "link_id", created.ID, "provider", provider)
	done.Link = created
	return done, nil
}

// Abandon ends a flow the provider reports as failed (the patient denied
// consent): it spends the state and returns where the patient should land.
func (s *Service) Abandon(ctx context.Context, provider, state string) (Completed, error) {
	if _, err := s.provider(provider); err != nil {
		return Completed{}, err
	}
	_, done, err := s.takeState(ctx, provider, state)
	if err == nil {
		s.logger.InfoContext(ctx, "linking abandoned at the provider", "provider", provider)
	}
	return done, err
}

// takeState spends a flow's state, once.
func (s *Service) takeState(ctx context.Context, provider, state string) (store.OAuthState, Completed, error) {
	if state == "" {
		return store.OAuthState{}, Completed{}, health.Errorf(health.KindInvalid, "callback lacks state or code")
	}
	var st store.OAuthState
	err := s.db.InTx(ctx, func(tx *store.Tx) (err error) {
		st, err = tx.TakeOAuthState(ctx, hashState(state))
		return err
	})
	if errors.Is(err, store.ErrNotFound) || err == nil && st.Provider != provider {
		return st, Completed{}, errStateInvalid
	}
	if err != nil {
		return st, Completed{}, err
	}
	return st, Completed{EHRUserID: st.EHRUserID, To: Redirects{Success: st.RedirectURL, Error: st.ErrorURL}}, nil
}

func (s *Service) storeLink(ctx context.Context, tx *store.Tx, st store.OAuthState, g Grant, sealed store.SealedToken) (store.Link, error) {
	if other, err := tx.LiveLinkByExternalUser(ctx, st.Provider, g.ExternalUserID); err == nil {
		if other.PatientID != st.PatientID {
			return store.Link{}, health.Errorf(health.KindConflict,
				"this %s account is already linked to another patient; unlink it there first", st.Provider)
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Link{}, err
	}
	links, err := tx.LinksOfPatient(ctx, st.PatientID)
	if err != nil {
		return store.Link{}, err
	}
	for _, old := range links {
		if old.Provider == st.Provider && old.Status != store.LinkRevoked {
			if err := tx.SetLinkStatus(ctx, old.ID, store.LinkRevoked); err != nil {
				return store.Link{}, err
			}
			if err := tx.AddAudit(ctx, store.AuditEvent{Actor: "system", Action: "link.replaced", PatientID: st.PatientID,
				LinkID: old.ID, Provider: st.Provider, Detail: "replaced by a new link of the same patient"}); err != nil {
				return store.Link{}, err
			}
		}
	}
	l, err := tx.CreateLink(ctx, st.PatientID, st.Provider, g.ExternalUserID, strings.Join(g.Scopes, ","), sealed)
	if err != nil {
		return store.Link{}, err
	}
	if err := tx.AddAudit(ctx, store.AuditEvent{Actor: "system", Action: "link.created", PatientID: st.PatientID,
		LinkID: l.ID, Provider: st.Provider, Detail: "scopes " + l.Scopes}); err != nil {
		return store.Link{}, err
	}
	if s.afterLink != nil {
		if err := s.afterLink(ctx, tx, l); err != nil {
			return store.Link{}, err
		}
	}
	return l, nil
}

// Import links ehrUserID to an account from a grant obtained elsewhere
// (the original service's stored tokens, or a test), with the same checks,
// audit event and follow-up jobs as a completed flow.
func (s *Service) Import(ctx context.Context, ehrUserID, provider string, g Grant) (store.Link, error) {
	if _, err := s.provider(provider); err != nil {
		return store.Link{}, err
	}
	if g.ExternalUserID == "" || g.RefreshToken == "" {
		return store.Link{}, health.Errorf(health.KindInvalid, "an imported grant needs the provider user id and a refresh token")
	}
	sealed, err := s.sealGrant(provider, g)
	if err != nil {
		return store.Link{}, err
	}
	var created store.Link
	err = s.db.InTx(ctx, func(tx *store.Tx) error {
		patient, err := tx.EnsurePatient(ctx, ehrUserID)
		if err != nil {
			return err
		}
		st := store.OAuthState{PatientID: patient.ID, Provider: provider}
		created, err = s.storeLink(ctx, tx, st, g, sealed)
		return err
	})
	return created, err
}
