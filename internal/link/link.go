// Package link connects a patient's EHR record to a provider account:
// the OAuth2 flow (single-use state, code exchange), the sealed token set,
// and refreshes that exactly one worker at a time performs for a link,
// across every replica.
//
// It never logs or returns a token in an error, and it stores token sets
// only sealed (package seal).
package link

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/seal"
	"github.com/ohx-health/ohx/internal/store"
)

// Grant is what a provider's token endpoint returns.
type Grant struct {
	ExternalUserID string
	AccessToken    string
	RefreshToken   string
	Expiry         time.Time
	Scopes         []string
}

// OAuth is what linking needs from a provider: Withings and Fitbit (Google)
// each implement it.
type OAuth interface {
	AuthCodeURL(state string) string
	Exchange(ctx context.Context, code string) (Grant, error)
	Refresh(ctx context.Context, refreshToken string) (Grant, error)
}

// AfterLink runs in the transaction that creates a link, to enqueue the
// work a new link needs (subscriptions, backfill, devices).
type AfterLink func(ctx context.Context, tx *store.Tx, l store.Link) error

// Service links patients to provider accounts.
type Service struct {
	db        *store.DB
	keys      *seal.Keyring
	providers map[string]OAuth
	logger    *slog.Logger
	afterLink AfterLink
	owner     string // names this process's refresh leases
	now       func() time.Time
	// StateTTL is how long a started link flow stays valid.
	StateTTL time.Duration
	// LeaseTTL bounds one refresh; a crashed holder's lease expires after it.
	LeaseTTL time.Duration
	// PollEvery is how often a worker waiting for another's refresh looks.
	PollEvery time.Duration
}

// New returns a Service. afterLink may be nil.
func New(db *store.DB, keys *seal.Keyring, providers map[string]OAuth, afterLink AfterLink, logger *slog.Logger) *Service {
	return &Service{db: db, keys: keys, providers: providers, logger: logger, afterLink: afterLink,
		owner: randomHex(8), now: time.Now,
		StateTTL: 10 * time.Minute, LeaseTTL: 45 * time.Second, PollEvery: 100 * time.Millisecond}
}

// tokenSet is the plaintext sealed into links.token_sealed.
type tokenSet struct {
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token"`
	Expiry       time.Time `json:"expiry"`
}

func (s *Service) sealGrant(provider string, g Grant) (store.SealedToken, error) {
	pt, err := json.Marshal(tokenSet{AccessToken: g.AccessToken, RefreshToken: g.RefreshToken, Expiry: g.Expiry})
	if err != nil {
		return store.SealedToken{}, err
	}
	sealed, err := s.keys.Seal(pt, store.TokenContext(provider, g.ExternalUserID))
	clear(pt)
	if err != nil {
		return store.SealedToken{}, err
	}
	return store.SealedToken{KeyID: sealed.KeyID, Data: sealed.Data, ExpiresAt: g.Expiry}, nil
}

func (s *Service) openToken(l store.Link) (tokenSet, error) {
	if l.Token.Data == nil {
		return tokenSet{}, health.Errorf(health.KindAuthRevoked, "link %d has no tokens (unlinked)", l.ID)
	}
	pt, err := s.keys.Open(seal.Sealed{KeyID: l.Token.KeyID, Data: l.Token.Data}, store.TokenContext(l.Provider, l.ExternalUserID))
	if err != nil {
		return tokenSet{}, health.Wrap(health.KindInternal, err, fmt.Sprintf("link %d: cannot open token set", l.ID))
	}
	defer clear(pt)
	var ts tokenSet
	if err := json.Unmarshal(pt, &ts); err != nil {
		return tokenSet{}, health.Errorf(health.KindInternal, "link %d: token set is corrupt", l.ID)
	}
	return ts, nil
}

func (s *Service) provider(name string) (OAuth, error) {
	p, ok := s.providers[name]
	if !ok {
		return nil, health.Errorf(health.KindNotFound, "provider %q is not configured", name)
	}
	return p, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func hashState(state string) string {
	sum := sha256.Sum256([]byte(state))
	return hex.EncodeToString(sum[:])
}

func newState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// redirectAllowed accepts "" or a URL starting with one of the allowed
// prefixes, so a link flow can never be turned into an open redirect.
func redirectAllowed(target string, allowed []string) bool {
	if target == "" {
		return true
	}
	for _, a := range allowed {
		if a != "" && strings.HasPrefix(target, a) {
			return true
		}
	}
	return false
}

var errStateInvalid = health.Errorf(health.KindInvalid, "the linking session is unknown, used or expired; start again")

// isKind reports whether err is a health.Error of kind k.
func isKind(err error, k health.ErrorKind) bool {
	var he *health.Error
	return errors.As(err, &he) && he.Kind == k
}
