package jobs

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"time"

	"github.com/riverqueue/river"

	"github.com/ohx-health/ohx/internal/health"
	"github.com/ohx-health/ohx/internal/store"
)

// Subscriber keeps a provider's webhook subscriptions for a link.
type Subscriber interface {
	// Subscribe reconciles the link's subscriptions and returns the topics
	// now subscribed.
	Subscribe(ctx context.Context, linkID int64) ([]string, error)
	// Unsubscribe removes every subscription of the link.
	Unsubscribe(ctx context.Context, linkID int64) error
}

// SubscribeArgs asks for a link's webhook subscriptions to be created or
// reconciled.
type SubscribeArgs struct {
	LinkID int64 `json:"link_id"`
}

// Kind is the stable job kind.
func (SubscribeArgs) Kind() string { return "ohx.subscribe" }

// InsertOpts collapses repeated requests for one link while one waits.
func (SubscribeArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Priority: 2, MaxAttempts: 10, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

type subscribeWorker struct {
	river.WorkerDefaults[SubscribeArgs]
	db          *store.DB
	subscribers map[string]Subscriber
	callbacks   map[string]string // provider → callback URL (with its secret)
	maxSnooze   time.Duration
	logger      *slog.Logger
}

func (w *subscribeWorker) Work(ctx context.Context, job *river.Job[SubscribeArgs]) error {
	var l store.Link
	err := w.db.InTx(ctx, func(tx *store.Tx) (err error) { l, err = tx.LinkByID(ctx, job.Args.LinkID); return err })
	if err != nil || l.Status != store.LinkActive {
		return river.JobCancel(health.Errorf(health.KindAuthRevoked, "link %d is not active", job.Args.LinkID))
	}
	s, ok := w.subscribers[l.Provider]
	if !ok {
		return nil // the provider has no webhooks to subscribe
	}
	topics, err := s.Subscribe(ctx, l.ID)
	if err != nil {
		return outcome(err, w.maxSnooze)
	}
	stored := withoutQuery(w.callbacks[l.Provider])
	err = w.db.InTx(ctx, func(tx *store.Tx) error {
		have, err := tx.Subscriptions(ctx, l.ID)
		if err != nil {
			return err
		}
		for _, h := range have {
			if !slices.Contains(topics, h.Topic) {
				if err := tx.DeleteSubscription(ctx, l.ID, h.Topic); err != nil {
					return err
				}
			}
		}
		for _, t := range topics {
			if err := tx.PutSubscription(ctx, store.Subscription{LinkID: l.ID, Topic: t, CallbackURL: stored}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "subscriptions reconciled", "link_id", l.ID, "provider", l.Provider, "topics", len(topics))
	return nil
}

// withoutQuery drops a URL's query string, where the webhook secret is.
func withoutQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	u.RawQuery = ""
	return u.String()
}
