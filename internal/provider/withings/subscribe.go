package withings

import (
	"context"
	"strconv"

	"github.com/ohx-health/ohx/internal/health"
)

// Subscriber keeps a linked user's notification subscriptions pointing at
// ohx's callback URL, which carries the webhook secret as its token query
// parameter (Withings does not sign notifications).
type Subscriber struct {
	Client *Client
	Tokens func(linkID int64) TokenSource
	// CallbackURL is ohx's public webhook URL including ?token=…
	CallbackURL string
	// Applis are the appli codes to subscribe; DefaultApplis when empty.
	Applis []Appli
}

func (s *Subscriber) applis() []Appli {
	if len(s.Applis) > 0 {
		return s.Applis
	}
	return DefaultApplis
}

// Subscribe makes the provider's subscriptions of linkID match the wanted
// appli codes at CallbackURL: missing ones are added, any other one is
// revoked. Withings lists only this application's subscriptions, so another
// URL can only be ohx's own from before a change of public URL or token.
// It returns the appli codes subscribed, as topics.
func (s *Subscriber) Subscribe(ctx context.Context, linkID int64) ([]string, error) {
	ts := s.Tokens(linkID)
	have, err := s.Client.ListSubscriptions(ctx, ts, 0)
	if err != nil {
		return nil, err
	}
	want := map[Appli]bool{}
	for _, a := range s.applis() {
		want[a] = true
	}
	present := map[Appli]bool{}
	for _, sub := range have {
		switch {
		case sub.CallbackURL == s.CallbackURL && want[sub.Appli]:
			present[sub.Appli] = true
		default:
			if err := s.Client.RevokeSubscription(ctx, ts, sub.CallbackURL, sub.Appli); err != nil {
				return nil, err
			}
		}
	}
	var topics []string
	for _, a := range s.applis() {
		if !present[a] {
			if err := s.Client.Subscribe(ctx, ts, s.CallbackURL, a, "ohx"); err != nil {
				return nil, err
			}
		}
		topics = append(topics, strconv.Itoa(int(a)))
	}
	return topics, nil
}

// Unsubscribe revokes every subscription of linkID.
func (s *Subscriber) Unsubscribe(ctx context.Context, linkID int64) error {
	ts := s.Tokens(linkID)
	have, err := s.Client.ListSubscriptions(ctx, ts, 0)
	if err != nil {
		return err
	}
	for _, sub := range have {
		if err := s.Client.RevokeSubscription(ctx, ts, sub.CallbackURL, sub.Appli); err != nil && health.KindOf(err) != health.KindNotFound {
			return err
		}
	}
	return nil
}

// RevokeAccess ends ohx's access to the Withings user (OAuth2 revoke),
// which also removes their subscriptions.
func (s *Subscriber) RevokeAccess(ctx context.Context, userID string) error {
	return s.Client.RevokeAccess(ctx, userID)
}
