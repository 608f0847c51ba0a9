package withings

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/ohx-health/ohx/internal/health"
)

// Subscription is one notification subscription of a user: Withings POSTs
// to CallbackURL when data of kind Appli changes. CallbackURL carries ohx's
// webhook secret, so it must never be logged.
type Subscription struct {
	Appli       Appli
	CallbackURL string
	Comment     string
	// Expires is when Withings drops the subscription; zero when not sent.
	Expires time.Time
}

// String hides the callback URL's query, which carries the webhook secret.
func (s Subscription) String() string {
	u, err := url.Parse(s.CallbackURL)
	cb := "(unparsable)"
	if err == nil {
		u.RawQuery, u.User = "", nil
		cb = u.String()
	}
	return fmt.Sprintf("withings.Subscription{Appli:%d CallbackURL:%s Comment:%q Expires:%s}",
		int(s.Appli), cb, s.Comment, s.Expires.Format(time.RFC3339))
}

// subscriptionWire is a notify profile as Withings sends it; comment may be
// null and expires is undocumented.
type subscriptionWire struct {
	Appli       int     `json:"appli"`
	CallbackURL string  `json:"callbackurl"`
	Comment     *string `json:"comment"`
	Expires     *int64  `json:"expires"`
}

func (w subscriptionWire) subscription() Subscription {
	s := Subscription{Appli: Appli(w.Appli), CallbackURL: w.CallbackURL}
	if w.Comment != nil {
		s.Comment = *w.Comment
	}
	if w.Expires != nil {
		s.Expires = time.Unix(*w.Expires, 0).UTC()
	}
	return s
}

// Subscribe asks Withings to notify callbackURL of the user's appli
// changes. Withings probes the URL with HEAD first and answers status 293
// (KindInvalid) when the probe fails.
func (c *Client) Subscribe(ctx context.Context, ts TokenSource, callbackURL string, appli Appli, comment string) error {
	form, err := notifyForm("notify subscribe", callbackURL, appli)
	if err != nil {
		return err
	}
	if comment != "" {
		form.Set("comment", comment)
	}
	_, err = c.authed(ctx, ts, pathNotify, "subscribe", form)
	return err
}

// RevokeSubscription removes the user's subscription of callbackURL to
// appli.
func (c *Client) RevokeSubscription(ctx context.Context, ts TokenSource, callbackURL string, appli Appli) error {
	form, err := notifyForm("notify revoke", callbackURL, appli)
	if err != nil {
		return err
	}
	_, err = c.authed(ctx, ts, pathNotify, "revoke", form)
	return err
}

// GetSubscription returns the user's subscription of callbackURL to appli.
func (c *Client) GetSubscription(ctx context.Context, ts TokenSource, callbackURL string, appli Appli) (Subscription, error) {
	form, err := notifyForm("notify get", callbackURL, appli)
	if err != nil {
		return Subscription{}, err
	}
	body, err := c.authed(ctx, ts, pathNotify, "get", form)
	if err != nil {
		return Subscription{}, err
	}
	var w subscriptionWire
	if err := json.Unmarshal(body, &w); err != nil {
		return Subscription{}, health.Errorf(health.KindBadProvider, "withings notify get: unreadable subscription")
	}
	return w.subscription(), nil
}

// ListSubscriptions returns the user's subscriptions, of one appli or, when
// appli is 0, of all.
func (c *Client) ListSubscriptions(ctx context.Context, ts TokenSource, appli Appli) ([]Subscription, error) {
	form := url.Values{}
	if appli != 0 {
		form.Set("appli", strconv.Itoa(int(appli)))
	}
	body, err := c.authed(ctx, ts, pathNotify, "list", form)
	if err != nil {
		return nil, err
	}
	var list struct {
		Profiles []subscriptionWire `json:"profiles"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, health.Errorf(health.KindBadProvider, "withings notify list: unreadable profiles")
	}
	subs := make([]Subscription, 0, len(list.Profiles))
	for _, p := range list.Profiles {
		subs = append(subs, p.subscription())
	}
	return subs, nil
}

func notifyForm(op, callbackURL string, appli Appli) (url.Values, error) {
	u, err := url.Parse(callbackURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// The URL is not quoted: its query carries the webhook secret.
		return nil, health.Errorf(health.KindInvalid, "withings %s: callback URL must be an absolute http(s) URL", op)
	}
	if appli <= 0 {
		return nil, health.Errorf(health.KindInvalid, "withings %s: appli must be positive", op)
	}
	return url.Values{"callbackurl": {callbackURL}, "appli": {strconv.Itoa(int(appli))}}, nil
}
