package fitbit

import "context"

// Subscriber is the per-link side of Google Health API notifications.
// Google's subscriber is project-wide with an AUTOMATIC policy (§6.1): every
// user who consented is covered, so there is nothing to create per link.
// Unsubscribing revokes ohx's grant at Google, which also stops the
// notifications.
type Subscriber struct {
	Client *Client
	Tokens func(linkID int64) TokenSource
}

// Subscribe has nothing to do per link.
func (s *Subscriber) Subscribe(context.Context, int64) ([]string, error) { return nil, nil }

// Unsubscribe revokes the link's grant at Google (access and refresh
// tokens alike).
func (s *Subscriber) Unsubscribe(ctx context.Context, linkID int64) error {
	tok, err := s.Tokens(linkID).AccessToken(ctx)
	if err != nil {
		return err
	}
	return s.Client.RevokeToken(ctx, tok)
}
